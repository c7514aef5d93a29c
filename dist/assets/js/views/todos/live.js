// Changes made on the user's other devices (live.js), applied to the list
// in place: the current filter and order apply as to any change.
//
// Each event is applied through the screen's queue of changes (store.js),
// after every change of this tab that was made before it has reached the
// server: a todo this tab is creating has its id by then, and this tab's
// own changes coming back are recognised by their version. An event older
// than what the list shows (a lower version) is ignored.
//
// The todo being edited is left alone: a change to it waits until the edit
// ends. When the edit is saved, its PATCH goes first, still with the
// version the editor started from, so a conflicting change made elsewhere
// fails it with 412 and shows the usual conflict message; the held-back
// change then finds itself outdated.

import { onLive } from '../../live.js';
import { applyServer, sortTodos } from './model.js';
import { enqueue, removeLocal, syncAll } from './store.js';

/** Follows the live events for view; returns the function that stops. */
export function followLive(view) {
  const held = new Map(); // key of the todo being edited → its latest change
  const byId = (id) => view.todos.find((t) => t.id === id);
  const deleting = (id) => [...view.deleting].some((t) => t.id === id);

  function upsert(server) {
    if (!server || !server.id || deleting(server.id)) return;
    const todo = byId(server.id);
    if (!todo) {
      view.todos.push(applyServer({ _key: server.id }, server));
    } else if (todo.version >= server.version) {
      return;
    } else if (view.editingKey === todo._key) {
      held.set(todo._key, () => upsert(server));
      return;
    } else {
      applyServer(todo, server);
    }
    sortTodos(view);
    view.render();
  }

  function remove(id) {
    const todo = byId(id);
    if (!todo) return;
    if (view.editingKey === todo._key) {
      held.set(todo._key, () => remove(id));
      return;
    }
    removeLocal(view, todo);
    view.render();
  }

  const queued = (fn) => (data) => {
    if (view.dead) return;
    enqueue(view, async () => {
      if (!view.dead) await fn(data);
    });
  };

  const offs = [
    onLive('todo.created', queued(upsert)),
    onLive('todo.updated', queued(upsert)),
    onLive('todo.deleted', queued((d) => remove(d && d.id))),
    onLive('todos.changed', queued(() => syncAll(view))),
    onLive('resync', queued(() => syncAll(view))),
  ];

  // An edit ends with a render; what was held back for it is queued after
  // whatever that edit queued in the same turn (its PATCH).
  const render = view.render;
  view.render = () => {
    render();
    for (const [key, apply] of held) {
      if (view.editingKey === key) continue;
      held.delete(key);
      queueMicrotask(() => queued(apply)());
    }
  };

  return () => {
    for (const off of offs) off();
  };
}
