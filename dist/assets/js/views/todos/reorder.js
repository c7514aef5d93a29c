// Reordering: drag and drop by the grip handle, and moving a todo up or
// down (Alt + arrow keys, or the Move up / Move down buttons).

import { announce } from '../../notify.js';
import { findTodo, short, sortTodos, visibleTodos } from './model.js';
import { enqueue, sendPatch, updateTodo } from './store.js';

// The order between neighbours lo and hi (either may be missing), or null
// when there are none.
function orderBetween(lo, hi) {
  if (lo && hi) return (lo.order + hi.order) / 2;
  if (lo) return lo.order + 1;
  if (hi) return hi.order - 1;
  return null;
}

// Numbers sequence 1, 2, 3… and saves every todo whose order changed.
function renumber(view, sequence) {
  const changed = [];
  sequence.forEach((t, i) => {
    if (t.order !== i + 1) {
      t.order = i + 1;
      changed.push(t);
    }
  });
  sortTodos(view);
  view.render();
  for (const t of changed) enqueue(view, () => sendPatch(view, t, { order: t.order }));
}

// Moves todo before or after target and saves its new order (the
// midpoint of its new neighbours; renumbers the list when there is no
// room between them).
export function moveTo(view, todo, target, position) {
  if (todo === target) return;
  const rest = view.todos.filter((t) => t !== todo);
  const at = rest.indexOf(target) + (position === 'after' ? 1 : 0);
  const lo = rest[at - 1];
  const hi = rest[at];
  const order = orderBetween(lo, hi);
  if (order === null) return;
  const fits = Number.isFinite(order) && (!lo || order > lo.order) && (!hi || order < hi.order);
  if (fits) updateTodo(view, todo, { order });
  else renumber(view, [...rest.slice(0, at), todo, ...rest.slice(at)]);
  const visible = visibleTodos(view);
  announce(`Moved “${short(todo.title)}” to position ${visible.indexOf(todo) + 1} of ${visible.length}.`);
}

/** Moves todo delta places (-1 up, 1 down) among the visible todos. */
export function moveBy(view, todo, delta) {
  const visible = visibleTodos(view);
  const i = visible.indexOf(todo);
  if (i < 0) return;
  const j = i + delta;
  if (j < 0) {
    announce('Already at the top.');
    return;
  }
  if (j >= visible.length) {
    announce('Already at the bottom.');
    return;
  }
  moveTo(view, todo, visible[j], delta < 0 ? 'before' : 'after');
}

// ---- drag and drop ----------------------------------------------------

function clearDropMarks(view) {
  for (const item of view.items.values()) item.li.classList.remove('drop-before', 'drop-after', 'dragging');
  view.dom.list.classList.remove('is-dragging');
}

/** Lets the list accept drops while a todo is dragged. */
export function wireListDrop(view) {
  view.dom.list.addEventListener('dragover', (event) => {
    if (view.dragKey) event.preventDefault();
  });
}

function wireHandle(view, key, li, handle) {
  handle.addEventListener('dragstart', (event) => {
    view.dragKey = key;
    li.classList.add('dragging');
    view.dom.list.classList.add('is-dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', (findTodo(view, key) || {}).title || '');
    try {
      event.dataTransfer.setDragImage(li, 24, 24);
    } catch {
      // Some browsers refuse a custom drag image; the default one works too.
    }
  });
  handle.addEventListener('dragend', () => {
    view.dragKey = null;
    clearDropMarks(view);
  });
}

function wireDropTarget(view, key, li) {
  li.addEventListener('dragover', (event) => {
    if (!view.dragKey || view.dragKey === key) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    const rect = li.getBoundingClientRect();
    const before = event.clientY < rect.top + rect.height / 2;
    li.classList.toggle('drop-before', before);
    li.classList.toggle('drop-after', !before);
  });
  li.addEventListener('dragleave', (event) => {
    if (!li.contains(event.relatedTarget)) li.classList.remove('drop-before', 'drop-after');
  });
  li.addEventListener('drop', (event) => {
    if (!view.dragKey) return;
    event.preventDefault();
    const before = li.classList.contains('drop-before');
    const dragged = findTodo(view, view.dragKey);
    const target = findTodo(view, key);
    view.dragKey = null;
    clearDropMarks(view);
    if (dragged && target && dragged !== target) moveTo(view, dragged, target, before ? 'before' : 'after');
  });
}

/** Makes the todo of key draggable by its handle and a place to drop others. */
export function wireDrag(view, key, li, handle) {
  wireHandle(view, key, li, handle);
  wireDropTarget(view, key, li);
}
