// Editing a todo in place: its title (the TodoMVC .edit box) and its
// details (notes and due date, in the form under the todo).

import { announce } from '../../notify.js';
import { dueDate, dueToAPI } from '../../format.js';
import { findTodo, short } from './model.js';
import { updateTodo } from './store.js';
import { destroyTodo } from './actions.js';

// ---- title ------------------------------------------------------------

export function startEdit(view, todo) {
  if (view.editingKey && view.editingKey !== todo._key) finishEdit(view, true);
  const item = view.items.get(todo._key);
  if (!item) return;
  view.editingKey = todo._key;
  view.openDetails.delete(todo._key);
  item.edit.value = todo.title;
  view.render();
  item.edit.focus();
  const end = item.edit.value.length;
  item.edit.setSelectionRange(end, end);
}

// Leaves edit mode; with save, an empty title deletes the todo.
export function finishEdit(view, save, { refocus = false } = {}) {
  const key = view.editingKey;
  if (!key) return;
  view.editingKey = null;
  const item = view.items.get(key);
  const todo = findTodo(view, key);
  if (!todo || !item) {
    view.render();
    return;
  }
  const title = item.edit.value.trim();
  if (save && !title) {
    destroyTodo(view, todo);
    if (refocus && !view.dom.list.contains(document.activeElement)) view.dom.newTodo.focus();
    return;
  }
  if (save && title !== todo.title) updateTodo(view, todo, { title });
  else view.render();
  if (refocus) {
    const again = view.items.get(key);
    if (again) again.li.focus();
  }
}

// ---- details ----------------------------------------------------------

export function fillDetails(item, todo) {
  item.notes.value = todo.notes || '';
  item.dueInput.value = dueDate(todo.due) || '';
}

export function setDetailsOpen(view, todo, open) {
  if (open) {
    if (view.editingKey) finishEdit(view, true);
    view.openDetails.add(todo._key);
    const item = view.items.get(todo._key);
    if (item) fillDetails(item, todo);
  } else {
    view.openDetails.delete(todo._key);
  }
  view.render();
  const item = view.items.get(todo._key);
  if (!item) return;
  if (open) item.notes.focus();
  else item.detailsButton.focus();
}

export function saveDetails(view, todo) {
  const item = view.items.get(todo._key);
  if (!item) return;
  const changes = {};
  const notes = item.notes.value;
  if (notes !== (todo.notes || '')) changes.notes = notes;
  const due = item.dueInput.value || null;
  if (due !== dueDate(todo.due)) changes.due = dueToAPI(due);
  setDetailsOpen(view, todo, false);
  if (!Object.keys(changes).length) return;
  updateTodo(view, todo, changes).then((ok) => {
    if (ok) announce(`Saved the details of “${short(todo.title)}”.`);
  });
}
