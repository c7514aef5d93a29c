// Adding, deleting and toggling one todo: shown at once, then queued for
// the server.

import { api, errorMessage } from '../../api.js';
import { announce, announceError } from '../../notify.js';
import { applyServer, short, sortTodos } from './model.js';
import { enqueue, removeLocal, syncAll, updateTodo } from './store.js';

// A local todo not yet created on the server, placed last.
function draftTodo(view, title) {
  const last = view.todos[view.todos.length - 1];
  return {
    _key: `new-${++view.tmpCounter}`,
    _pending: true,
    id: null,
    title,
    notes: '',
    completed: false,
    order: last ? (last.order ?? 0) + 1 : 1,
    due: null,
    created_at: null,
    version: 0,
  };
}

/** Adds the title typed in the new-todo box. */
export function addTodo(view) {
  const { newTodo } = view.dom;
  const title = newTodo.value.trim();
  newTodo.value = '';
  if (!title) return;
  const todo = draftTodo(view, title);
  view.todos.push(todo);
  view.render();
  enqueue(view, async () => {
    try {
      const created = await api.post('/todos', { title });
      applyServer(todo, created);
      delete todo._pending;
      sortTodos(view);
      view.render();
    } catch (err) {
      removeLocal(view, todo);
      view.render();
      if (view.dead || err.unauthenticated) return;
      if (!newTodo.value) newTodo.value = title;
      announceError(`Couldn't add “${short(title)}”. ${errorMessage(err)}`);
    }
  });
}

export function destroyTodo(view, todo) {
  removeLocal(view, todo);
  view.deleting.add(todo);
  view.render();
  announce(`Deleted “${short(todo.title)}”.`);
  enqueue(view, async () => {
    if (!todo.id) {
      view.deleting.delete(todo); // its creation failed
      return;
    }
    try {
      await api.del(`/todos/${encodeURIComponent(todo.id)}`);
      view.deleting.delete(todo);
    } catch (err) {
      view.deleting.delete(todo);
      if (view.dead || err.unauthenticated || err.status === 404) return;
      announceError(`Couldn't delete “${short(todo.title)}”. ${errorMessage(err)}`);
      await syncAll(view);
    }
  });
}

export function toggleTodo(view, todo, completed) {
  updateTodo(view, todo, { completed });
}
