// One todo's <li>: its markup (TodoMVC's .view and .edit, plus the details
// form) and bringing it up to date with the todo.

import { h } from '../../dom.js';
import { icon } from '../../icons.js';
import { describeDue, formatDateTime } from '../../format.js';
import { fillDetails } from './editing.js';
import { wireItem } from './item-events.js';

// The visible row: toggle, title, due date and notes marks, buttons.
function buildRow(key) {
  const toggle = h('input', { class: 'toggle', type: 'checkbox', 'aria-labelledby': `title-${key}` });
  const label = h('label', { id: `title-${key}`, 'data-testid': 'todo-title' });
  const dueText = h('time', {});
  const due = h('span', { class: 'due', hidden: true }, icon('calendar', { size: 14 }), dueText);
  const notesMark = h('span', { class: 'notes-mark', hidden: true, title: 'Has notes' }, icon('note', { size: 14 }), h('span', { class: 'visually-hidden' }, 'Has notes'));
  const meta = h('span', { class: 'meta' }, due, notesMark);
  const handle = h('span', { class: 'drag-handle', draggable: true, 'aria-hidden': 'true', title: 'Drag to reorder' }, icon('grip', { size: 18 }));
  const detailsButton = h('button', { type: 'button', class: 'details-toggle icon-button', 'aria-expanded': 'false', 'aria-controls': `details-${key}` }, icon('chevron-down', { size: 18 }));
  const destroy = h('button', { type: 'button', class: 'destroy' });
  const row = h('div', { class: 'view' }, toggle, h('div', { class: 'todo-body' }, label, meta), handle, detailsButton, destroy);
  return { row, toggle, label, due, dueText, notesMark, handle, detailsButton, destroy };
}

// The notes and due date fields. The only <label> in a todo is its title
// (TodoMVC tests read "li label"), so these controls are named with
// aria-labelledby.
function buildFields(key) {
  const notes = h('textarea', { id: `notes-${key}`, name: 'notes', rows: 3, maxlength: 10000, placeholder: 'Add some details…' });
  const dueInput = h('input', { id: `due-${key}`, name: 'due', type: 'date' });
  const notesLabel = h('span', { class: 'details-label', id: `notes-label-${key}` }, 'Notes');
  const dueLabel = h('span', { class: 'details-label', id: `due-label-${key}` }, 'Due date');
  notes.setAttribute('aria-labelledby', notesLabel.id);
  dueInput.setAttribute('aria-labelledby', dueLabel.id);
  notesLabel.addEventListener('click', () => notes.focus());
  dueLabel.addEventListener('click', () => dueInput.focus());
  const fields = [h('div', { class: 'field field-notes' }, notesLabel, notes), h('div', { class: 'field field-due' }, dueLabel, dueInput)];
  return { fields, notes, dueInput };
}

// The details form: notes, due date, Save, Cancel, Move up / down.
function buildDetails(key) {
  const { fields, notes, dueInput } = buildFields(key);
  const moveUp = h('button', { type: 'button', class: 'button small move-up' }, icon('arrow-up', { size: 16 }), 'Move up');
  const moveDown = h('button', { type: 'button', class: 'button small move-down' }, icon('arrow-down', { size: 16 }), 'Move down');
  const stamp = h('p', { class: 'details-stamp' });
  const details = h(
    'form',
    { class: 'details', id: `details-${key}`, hidden: true, novalidate: true, 'aria-label': 'Notes and due date' },
    fields,
    h(
      'div',
      { class: 'details-actions' },
      h('button', { type: 'submit', class: 'button small primary details-save' }, 'Save'),
      h('button', { type: 'button', class: 'button small details-cancel' }, 'Cancel'),
      h('span', { class: 'spacer' }),
      moveUp,
      moveDown,
    ),
    stamp,
  );
  return { details, notes, dueInput, moveUp, moveDown, stamp };
}

/** Builds the <li> of the todo of key, with its listeners; returns its parts. */
export function buildItem(view, key) {
  const { row, ...rowParts } = buildRow(key);
  const detailsParts = buildDetails(key);
  const edit = h('input', { class: 'edit', maxlength: 500, autocomplete: 'off', 'aria-label': 'Edit title' });
  const li = h('li', { tabindex: '0', dataset: { key, testid: 'todo-item' }, 'aria-describedby': 'todo-help' }, row, edit, detailsParts.details);
  const item = { li, edit, ...rowParts, ...detailsParts };
  wireItem(view, key, item);
  return item;
}

function updateClasses(view, item, todo, due) {
  const key = todo._key;
  const { li } = item;
  li.classList.toggle('completed', Boolean(todo.completed));
  li.classList.toggle('editing', view.editingKey === key);
  li.classList.toggle('pending', Boolean(todo._pending));
  li.classList.toggle('overdue', Boolean(due && due.state === 'overdue'));
  li.classList.toggle('has-conflict', view.conflicts.has(key));
  li.classList.toggle('open', view.openDetails.has(key));
}

function updateButtons(item, todo, open) {
  item.destroy.setAttribute('aria-label', `Delete “${todo.title}”`);
  item.destroy.title = 'Delete';
  item.detailsButton.setAttribute('aria-label', `Notes and due date of “${todo.title}”`);
  item.detailsButton.setAttribute('aria-expanded', String(open));
  item.detailsButton.title = open ? 'Hide details' : 'Notes and due date';
}

function updateDue(item, due) {
  if (due) {
    item.due.hidden = false;
    item.due.className = `due due-${due.state}`;
    item.dueText.textContent = due.text;
    item.dueText.setAttribute('datetime', due.ymd);
    item.due.title = due.title;
  } else {
    item.due.hidden = true;
  }
}

function updateStamp(item, todo) {
  const stamps = [];
  if (todo.created_at) stamps.push(`Created ${formatDateTime(todo.created_at)}`);
  if (todo.completed && todo.completed_at) stamps.push(`completed ${formatDateTime(todo.completed_at)}`);
  item.stamp.textContent = stamps.join(' · ');
}

/** Brings the <li> of item up to date with todo. */
export function updateItem(view, item, todo) {
  const key = todo._key;
  if (todo.id) item.li.dataset.id = todo.id;
  const editing = view.editingKey === key;
  const open = view.openDetails.has(key);
  const due = describeDue(todo.due, todo.completed);
  updateClasses(view, item, todo, due);
  item.toggle.checked = Boolean(todo.completed);
  if (item.label.textContent !== todo.title) item.label.textContent = todo.title;
  updateButtons(item, todo, open);
  updateDue(item, due);
  item.notesMark.hidden = !todo.notes;
  item.details.hidden = !open || editing;
  if (!open) fillDetails(item, todo);
  updateStamp(item, todo);
}
