// The todos screen's fixed markup (TodoMVC's section.todoapp with its
// header, main and footer), built once per mount.

import { h } from '../../dom.js';
import { icon } from '../../icons.js';
import { buildFooter } from './footer.js';

function buildHeader() {
  const newTodo = h('input', {
    id: 'new-todo',
    class: 'new-todo',
    placeholder: 'What needs to be done?',
    autocomplete: 'off',
    maxlength: 500,
    enterkeyhint: 'done',
    autofocus: true,
  });
  const sync = h('span', { class: 'sync', 'aria-hidden': 'true' }, h('span', { class: 'spinner small' }), 'Syncing…');
  const conflictsEl = h('div', { class: 'conflicts' });
  const header = h(
    'header',
    { id: 'header', class: 'header' },
    h('h1', { id: 'todos-title', tabindex: '-1' }, 'todos'),
    sync,
    conflictsEl,
    h('label', { for: 'new-todo', class: 'visually-hidden' }, 'New todo'),
    newTodo,
  );
  return { header, newTodo, conflictsEl };
}

function buildMain() {
  const toggleAll = h('input', { id: 'toggle-all', class: 'toggle-all', type: 'checkbox' });
  const toggleAllLabel = h('label', { for: 'toggle-all', title: 'Mark all as complete' }, h('span', { class: 'visually-hidden' }, 'Mark all as complete'));
  const list = h('ul', { id: 'todo-list', class: 'todo-list', 'aria-labelledby': 'todos-title' });
  const filterEmpty = h('p', { class: 'filter-empty', hidden: true });
  const main = h('section', { id: 'main', class: 'main', hidden: true, 'aria-label': 'Todo list' }, toggleAll, toggleAllLabel, list, filterEmpty);
  return { main, toggleAll, list, filterEmpty };
}

function buildEmptyState() {
  return h(
    'div',
    { class: 'empty-state', hidden: true },
    icon('list', { size: 40 }),
    h('p', { class: 'empty-title' }, 'Nothing to do yet'),
    h('p', {}, 'Type a todo above and press Enter to add it.'),
  );
}

function buildHelp() {
  const help = h('p', { id: 'todo-help', class: 'visually-hidden' }, 'Enter to edit, Space to toggle, Alt plus Up or Down arrow to move, Up and Down arrows to go to the next todo.');
  const info = h(
    'footer',
    { class: 'info' },
    // Touch screens have no drag handle (app.css swaps these lines there).
    h('p', { class: 'pointer-only' }, 'Double-click a todo, or focus it and press Enter, to edit it.'),
    h('p', { class: 'pointer-only' }, 'Drag the ', icon('grip', { size: 14 }), ' handle or press Alt + ↑ / ↓ to reorder.'),
    h('p', { class: 'touch-only' }, 'Double-tap a todo to edit it.'),
    h('p', { class: 'touch-only' }, 'To reorder, open a todo’s details (', icon('chevron-down', { size: 14 }), ') and tap Move up or Move down.'),
  );
  return { help, info };
}

/** Builds the screen; returns its root (page) and the elements the modules use. */
export function buildSkeleton() {
  const { header, ...headerParts } = buildHeader();
  const statusEl = h('div', { class: 'todo-status' });
  const emptyEl = buildEmptyState();
  const mainParts = buildMain();
  const footerParts = buildFooter();
  const section = h(
    'section',
    { id: 'todos', class: 'todoapp', 'data-testid': 'todos', 'aria-labelledby': 'todos-title', dataset: { busy: 'false', loaded: 'false' } },
    header,
    statusEl,
    emptyEl,
    mainParts.main,
    footerParts.footer,
  );
  const { help, info } = buildHelp();
  const page = h('div', { class: 'todos-page' }, section, info, help);
  return { page, section, statusEl, emptyEl, ...headerParts, ...mainParts, ...footerParts };
}
