// The todos screen's state: one plain object shared by the modules of the
// screen (created here, filled in by mountTodos), and the pure helpers that
// read it.

export const FILTERS = {
  all: () => true,
  active: (t) => !t.completed,
  completed: (t) => t.completed,
};

const SERVER_FIELDS = ['id', 'title', 'notes', 'completed', 'order', 'due', 'created_at', 'updated_at', 'completed_at', 'version'];

/**
 * Creates the state of one todos screen. dom holds the skeleton's elements
 * (see skeleton.js); render is set by mountTodos, so that lower modules can
 * redraw without importing the renderer.
 */
export function createState(filter, dom) {
  return {
    filter,
    todos: [],
    loaded: false,
    loadError: null,
    dead: false, // the screen was left
    editingKey: null,
    dragKey: null,
    tmpCounter: 0,
    pending: 0, // changes queued and not yet sent
    lastSync: 0,
    tail: Promise.resolve(), // the end of the queue of changes
    openDetails: new Set(), // keys of todos whose details are shown
    deleting: new Set(), // todos removed here whose DELETE hasn't finished
    items: new Map(), // key → DOM refs of a rendered <li>
    conflicts: new Map(), // key → .conflict element
    dom,
    render: () => {},
  };
}

export function short(text, max = 60) {
  const s = String(text || '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Copies the server's fields of a todo onto the local one. */
export function applyServer(todo, server) {
  for (const key of SERVER_FIELDS) if (key in server) todo[key] = server[key];
  todo.notes = todo.notes || '';
  return todo;
}

export function compareTodos(a, b) {
  const byOrder = (a.order ?? 0) - (b.order ?? 0);
  if (byOrder) return byOrder;
  const ta = a.created_at ? Date.parse(a.created_at) : Infinity;
  const tb = b.created_at ? Date.parse(b.created_at) : Infinity;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return String(a.id || a._key).localeCompare(String(b.id || b._key));
}

export function sortTodos(view) {
  view.todos.sort(compareTodos);
}

export function findTodo(view, key) {
  return view.todos.find((t) => t._key === key);
}

/** The todos the current filter shows, in order. */
export function visibleTodos(view) {
  return view.todos.filter(FILTERS[view.filter]);
}
