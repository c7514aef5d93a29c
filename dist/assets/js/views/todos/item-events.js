// What the user can do on one todo: the mouse on its controls, and the
// keyboard on the focused <li> (Enter/F2 edit, Space toggles, arrows move
// the focus, Alt + arrows move the todo).

import { findTodo } from './model.js';
import { destroyTodo, toggleTodo } from './actions.js';
import { finishEdit, saveDetails, setDetailsOpen, startEdit } from './editing.js';
import { moveBy, wireDrag } from './reorder.js';

// Adds a listener that runs fn with the todo of key, if it still exists.
function onTodo(view, key, el, type, fn) {
  el.addEventListener(type, (event) => {
    const t = findTodo(view, key);
    if (t) fn(t, event);
  });
}

function wireRow(view, key, item) {
  onTodo(view, key, item.toggle, 'change', (t) => toggleTodo(view, t, item.toggle.checked));
  item.label.addEventListener('mousedown', (event) => {
    if (event.detail > 1) event.preventDefault(); // no word selection on double-click
  });
  onTodo(view, key, item.label, 'dblclick', (t) => startEdit(view, t));
  onTodo(view, key, item.destroy, 'click', (t) => destroyTodo(view, t));
  onTodo(view, key, item.detailsButton, 'click', (t) => setDetailsOpen(view, t, !view.openDetails.has(key)));
}

function wireEdit(view, key, edit) {
  edit.addEventListener('keydown', (event) => {
    if (event.isComposing) return;
    if (event.key === 'Enter') {
      event.preventDefault();
      event.stopPropagation();
      finishEdit(view, true, { refocus: true });
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      finishEdit(view, false, { refocus: true });
    }
  });
  edit.addEventListener('blur', () => {
    if (view.editingKey === key) finishEdit(view, true);
  });
}

function wireDetails(view, key, item) {
  const { details } = item;
  details.addEventListener('submit', (event) => {
    event.preventDefault();
    const t = findTodo(view, key);
    if (t) saveDetails(view, t);
  });
  onTodo(view, key, details.querySelector('.details-cancel'), 'click', (t) => setDetailsOpen(view, t, false));
  details.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      const t = findTodo(view, key);
      if (t) setDetailsOpen(view, t, false);
    }
  });
  onTodo(view, key, item.moveUp, 'click', (t) => moveBy(view, t, -1));
  onTodo(view, key, item.moveDown, 'click', (t) => moveBy(view, t, 1));
}

/** Adds the listeners of a freshly built item (see item.js). */
export function wireItem(view, key, item) {
  wireRow(view, key, item);
  wireEdit(view, key, item.edit);
  wireDetails(view, key, item);
  item.li.addEventListener('keydown', (event) => onItemKeydown(view, event, key));
  wireDrag(view, key, item.li, item.handle);
}

// The element Up/Down, Home/End moves the focus to from li (Up from the
// first goes to the new-todo box); undefined when there is none, null for
// other keys.
function focusTarget(view, keyName, li) {
  const lis = [...view.dom.list.children];
  const i = lis.indexOf(li);
  switch (keyName) {
    case 'ArrowDown':
      return lis[i + 1];
    case 'ArrowUp':
      return lis[i - 1] || view.dom.newTodo;
    case 'Home':
      return lis[0];
    case 'End':
      return lis[lis.length - 1];
    default:
      return null;
  }
}

function onItemKeydown(view, event, key) {
  const todo = findTodo(view, key);
  const item = view.items.get(key);
  if (!todo || !item) return;
  const target = event.target;
  if (target === item.edit || item.details.contains(target)) return;
  if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
    event.preventDefault();
    moveBy(view, todo, event.key === 'ArrowUp' ? -1 : 1);
    return;
  }
  if (target !== item.li || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === 'Enter' || event.key === 'F2') {
    event.preventDefault();
    startEdit(view, todo);
  } else if (event.key === ' ') {
    event.preventDefault();
    toggleTodo(view, todo, !todo.completed);
  } else {
    const next = focusTarget(view, event.key, item.li);
    if (next === null) return;
    event.preventDefault();
    if (next) next.focus();
  }
}
