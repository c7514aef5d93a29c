// The todo list's traffic with the server: the queue of changes, loading
// the list, and PATCHing one todo.
//
// Changes show at once (optimistic) and are sent to the server one after the
// other through a queue, so they reach it in the order they were made and
// each PATCH carries the version the previous one returned. A PATCH sends
// If-Match with the version this browser last saw; a 412 means another
// device changed the todo: the todo is reloaded from the server and a
// .conflict message offers to apply the change again. Nothing is
// overwritten without the user asking.

import { api, errorMessage } from '../../api.js';
import { announceError } from '../../notify.js';
import { applyServer, findTodo, short, sortTodos } from './model.js';
import { dismissConflict, showConflict } from './conflicts.js';

const PER_PAGE = 200;
const MAX_PAGES = 500;

// ---- queue ------------------------------------------------------------

function setPending(view, delta) {
  view.pending += delta;
  view.dom.section.dataset.busy = view.pending > 0 ? 'true' : 'false';
}

// Runs fn after every earlier change has reached the server. Changes
// still queued when the view is left are sent all the same.
export function enqueue(view, fn) {
  setPending(view, 1);
  const run = view.tail.then(() => fn());
  view.tail = run
    .catch((err) => console.error(err))
    .then(() => setPending(view, -1));
  return run;
}

// ---- loading ----------------------------------------------------------

async function fetchAll() {
  const seen = new Map();
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const res = await api.get('/todos', { query: { sort: 'order', page, per_page: PER_PAGE } });
    const batch = (res && res.items) || [];
    for (const t of batch) seen.set(t.id, t);
    if (batch.length < PER_PAGE || page * PER_PAGE >= (res.total ?? 0)) break;
  }
  return [...seen.values()];
}

// Puts the server's list in place, keeping todos still being created.
function replaceTodos(view, server) {
  const known = new Map(view.todos.filter((t) => t.id).map((t) => [t.id, t]));
  const gone = new Set([...view.deleting].map((t) => t.id).filter(Boolean));
  const next = server.filter((s) => !gone.has(s.id)).map((s) => {
    const existing = known.get(s.id);
    return existing ? applyServer(existing, s) : applyServer({ _key: s.id }, s);
  });
  view.todos = [...next, ...view.todos.filter((t) => !t.id && t._pending)];
  sortTodos(view);
  for (const key of [...view.conflicts.keys()]) if (!findTodo(view, key)) dismissConflict(view, key);
}

// Replaces the list with the server's, keeping todos still being created.
export async function syncAll(view) {
  if (view.dead) return;
  try {
    const server = await fetchAll();
    if (view.dead) return;
    replaceTodos(view, server);
    view.loaded = true;
    view.loadError = null;
    view.lastSync = Date.now();
    view.dom.section.dataset.loaded = 'true';
  } catch (err) {
    if (view.dead || err.unauthenticated) return;
    if (!view.loaded) view.loadError = err;
    else announceError(`Couldn't refresh your todos. ${errorMessage(err)}`);
  }
  view.render();
}

async function reloadTodo(view, todo) {
  if (!todo.id) return;
  try {
    const fresh = await api.get(`/todos/${encodeURIComponent(todo.id)}`);
    applyServer(todo, fresh);
    sortTodos(view);
  } catch (err) {
    if (err.status === 404) removeLocal(view, todo);
    else if (!err.unauthenticated) announceError(`Couldn't reload “${short(todo.title)}”. ${errorMessage(err)}`);
  }
  view.render();
}

// ---- changes ----------------------------------------------------------

// PATCHes todo with changes (already shown locally). Resolves true on success.
export async function sendPatch(view, todo, changes) {
  if (!todo.id || !view.todos.includes(todo)) return false;
  try {
    const updated = await api.patch(`/todos/${encodeURIComponent(todo.id)}`, changes, {
      headers: { 'If-Match': `"${todo.version}"` },
    });
    if (updated) applyServer(todo, updated);
    sortTodos(view);
    view.render();
    return true;
  } catch (err) {
    if (view.dead || err.unauthenticated) return false;
    await patchFailed(view, todo, changes, err);
    return false;
  }
}

async function patchFailed(view, todo, changes, err) {
  if (err.status === 412) {
    await reloadTodo(view, todo);
    if (view.todos.includes(todo)) showConflict(view, todo, changes, (current) => updateTodo(view, current, changes));
    else announceError(`“${short(todo.title)}” was deleted on another device.`);
  } else if (err.status === 404) {
    removeLocal(view, todo);
    view.render();
    announceError(`“${short(todo.title)}” was deleted on another device.`);
  } else {
    announceError(`Couldn't save “${short(todo.title)}”. ${errorMessage(err)}`);
    await reloadTodo(view, todo);
  }
}

// Shows changes on todo now and queues the PATCH.
export function updateTodo(view, todo, changes) {
  Object.assign(todo, changes);
  sortTodos(view);
  view.render();
  return enqueue(view, () => sendPatch(view, todo, changes));
}

export function removeLocal(view, todo) {
  view.todos = view.todos.filter((t) => t !== todo);
  view.openDetails.delete(todo._key);
  dismissConflict(view, todo._key);
}
