// The footer (items left, the All / Active / Completed filters, Clear
// completed) and the actions on the whole list: Clear completed and
// "Mark all as complete".

import { api, errorMessage } from '../../api.js';
import { h } from '../../dom.js';
import { announce, announceError } from '../../notify.js';
import { plural } from '../../format.js';
import { enqueue, removeLocal, syncAll } from './store.js';
import { finishEdit } from './editing.js';

/** Builds the footer; returns it and the parts render updates. */
export function buildFooter() {
  const countNumber = h('strong', {}, '0');
  const countWords = document.createTextNode(' items left');
  const count = h('span', { id: 'todo-count', class: 'todo-count', 'data-testid': 'todo-count' }, countNumber, countWords);
  const filterLinks = {
    all: h('a', { href: '#/' }, 'All'),
    active: h('a', { href: '#/active' }, 'Active'),
    completed: h('a', { href: '#/completed' }, 'Completed'),
  };
  const filters = h('ul', { id: 'filters', class: 'filters', 'aria-label': 'Filter todos' }, Object.values(filterLinks).map((a) => h('li', {}, a)));
  const clearCompleted = h('button', { id: 'clear-completed', class: 'clear-completed', type: 'button', hidden: true }, 'Clear completed');
  const footer = h('footer', { id: 'footer', class: 'footer', hidden: true }, count, filters, clearCompleted);
  return { footer, countNumber, countWords, filterLinks, clearCompleted };
}

/** Updates the footer for the list's counts and the current filter. */
export function renderFooter(view, activeCount, completedCount) {
  const { dom, filter } = view;
  dom.footer.hidden = view.todos.length === 0;
  dom.countNumber.textContent = String(activeCount);
  dom.countWords.data = ` ${activeCount === 1 ? 'item' : 'items'} left`;
  dom.clearCompleted.hidden = completedCount === 0;
  for (const [name, a] of Object.entries(dom.filterLinks)) {
    a.classList.toggle('selected', name === filter);
    if (name === filter) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function setAllCompleted(view, completed) {
  if (view.editingKey) finishEdit(view, true);
  for (const t of view.todos) t.completed = completed;
  view.render();
  enqueue(view, async () => {
    try {
      const res = await api.patch('/todos', { completed });
      const n = res && typeof res.updated === 'number' ? res.updated : view.todos.length;
      announce(completed ? `Marked ${plural(n, 'todo')} as completed.` : `Marked ${plural(n, 'todo')} as active.`);
    } catch (err) {
      if (view.dead || err.unauthenticated) return;
      announceError(`Couldn't update your todos. ${errorMessage(err)}`);
    }
    await syncAll(view);
  });
}

function clearCompletedTodos(view) {
  if (document.activeElement === view.dom.clearCompleted) view.dom.newTodo.focus();
  for (const t of view.todos.filter((x) => x.completed)) removeLocal(view, t);
  view.render();
  enqueue(view, async () => {
    try {
      const res = await api.del('/todos', { query: { completed: 'true' } });
      const n = res && typeof res.deleted === 'number' ? res.deleted : 0;
      announce(`Cleared ${plural(n, 'completed todo')}.`);
    } catch (err) {
      if (view.dead || err.unauthenticated) return;
      announceError(`Couldn't clear completed todos. ${errorMessage(err)}`);
    }
    await syncAll(view);
  });
}

/** Wires "Mark all as complete" and Clear completed. */
export function wireBulkActions(view) {
  const { toggleAll, clearCompleted } = view.dom;
  toggleAll.addEventListener('change', () => setAllCompleted(view, toggleAll.checked));
  clearCompleted.addEventListener('click', () => clearCompletedTodos(view));
}
