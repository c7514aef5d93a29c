// The todo list (#/, #/active, #/completed), with the TodoMVC markup and
// behaviour, plus notes, due dates, reordering and conflict handling.
//
// Changes show at once (optimistic) and are sent to the server one after the
// other through a queue, so they reach it in the order they were made and
// each PATCH carries the version the previous one returned. A PATCH sends
// If-Match with the version this browser last saw; a 412 means another
// device changed the todo: the todo is reloaded from the server and a
// .conflict message offers to apply the change again. Nothing is
// overwritten without the user asking.

import { api, errorMessage } from '../api.js';
import { errorBlock, h, loadingBlock } from '../dom.js';
import { icon } from '../icons.js';
import { announce, announceError } from '../notify.js';
import { describeDue, dueDate, dueToAPI, formatDateTime, plural } from '../format.js';

const PER_PAGE = 200;
const MAX_PAGES = 500;
const RESYNC_AFTER_MS = 15000;

const FILTERS = {
  all: () => true,
  active: (t) => !t.completed,
  completed: (t) => t.completed,
};

const EMPTY_FILTER_TEXT = {
  active: 'Nothing left to do. Everything is completed.',
  completed: 'No completed todos yet.',
  all: '',
};

const SERVER_FIELDS = ['id', 'title', 'notes', 'completed', 'order', 'due', 'created_at', 'updated_at', 'completed_at', 'version'];

function short(text, max = 60) {
  const s = String(text || '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function applyServer(todo, server) {
  for (const key of SERVER_FIELDS) if (key in server) todo[key] = server[key];
  todo.notes = todo.notes || '';
  return todo;
}

function compareTodos(a, b) {
  const byOrder = (a.order ?? 0) - (b.order ?? 0);
  if (byOrder) return byOrder;
  const ta = a.created_at ? Date.parse(a.created_at) : Infinity;
  const tb = b.created_at ? Date.parse(b.created_at) : Infinity;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return String(a.id || a._key).localeCompare(String(b.id || b._key));
}

function describeChanges(changes) {
  const parts = [];
  if ('title' in changes) parts.push(`rename to “${short(changes.title)}”`);
  if ('completed' in changes) parts.push(changes.completed ? 'mark as completed' : 'mark as active');
  if ('notes' in changes) parts.push(changes.notes ? 'edit the notes' : 'clear the notes');
  if ('due' in changes) parts.push(changes.due ? `set the due date to ${describeDue(changes.due, false).title}` : 'remove the due date');
  if ('order' in changes) parts.push('move it');
  return parts.join(', ');
}

/** Mounts the todos screen; route.filter is all, active or completed. */
export function mountTodos(root, ctx, route) {
  let filter = route.filter || 'all';
  let todos = [];
  let loaded = false;
  let loadError = null;
  let dead = false;
  let editingKey = null;
  let dragKey = null;
  let tmpCounter = 0;
  let pending = 0;
  let lastSync = 0;
  let tail = Promise.resolve();
  const openDetails = new Set();
  const deleting = new Set(); // todos removed here whose DELETE hasn't finished
  const items = new Map(); // key → DOM refs of a rendered <li>
  const conflicts = new Map(); // key → .conflict element

  // ---- skeleton -------------------------------------------------------

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
  const statusEl = h('div', { class: 'todo-status' });
  const emptyEl = h(
    'div',
    { class: 'empty-state', hidden: true },
    icon('list', { size: 40 }),
    h('p', { class: 'empty-title' }, 'Nothing to do yet'),
    h('p', {}, 'Type a todo above and press Enter to add it.'),
  );
  const toggleAll = h('input', { id: 'toggle-all', class: 'toggle-all', type: 'checkbox' });
  const toggleAllLabel = h('label', { for: 'toggle-all', title: 'Mark all as complete' }, h('span', { class: 'visually-hidden' }, 'Mark all as complete'));
  const list = h('ul', { id: 'todo-list', class: 'todo-list', 'aria-labelledby': 'todos-title' });
  const filterEmpty = h('p', { class: 'filter-empty', hidden: true });
  const main = h('section', { id: 'main', class: 'main', hidden: true, 'aria-label': 'Todo list' }, toggleAll, toggleAllLabel, list, filterEmpty);
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
  const section = h(
    'section',
    { id: 'todos', class: 'todoapp', 'data-testid': 'todos', 'aria-labelledby': 'todos-title', dataset: { busy: 'false', loaded: 'false' } },
    header,
    statusEl,
    emptyEl,
    main,
    footer,
  );
  const help = h('p', { id: 'todo-help', class: 'visually-hidden' }, 'Enter to edit, Space to toggle, Alt plus Up or Down arrow to move, Up and Down arrows to go to the next todo.');
  const info = h(
    'footer',
    { class: 'info' },
    h('p', {}, 'Double-click a todo, or focus it and press Enter, to edit it.'),
    h('p', {}, 'Drag the ', icon('grip', { size: 14 }), ' handle or press Alt + ↑ / ↓ to reorder.'),
  );
  root.append(h('div', { class: 'todos-page' }, section, info, help));

  // ---- queue ----------------------------------------------------------

  function setPending(delta) {
    pending += delta;
    section.dataset.busy = pending > 0 ? 'true' : 'false';
  }

  // Runs fn after every earlier change has reached the server. Changes
  // still queued when the view is left are sent all the same.
  function enqueue(fn) {
    setPending(1);
    const run = tail.then(() => fn());
    tail = run
      .catch((err) => console.error(err))
      .then(() => setPending(-1));
    return run;
  }

  // ---- server ---------------------------------------------------------

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

  // Replaces the list with the server's, keeping todos still being created.
  async function syncAll() {
    if (dead) return;
    try {
      const server = await fetchAll();
      if (dead) return;
      const known = new Map(todos.filter((t) => t.id).map((t) => [t.id, t]));
      const gone = new Set([...deleting].map((t) => t.id).filter(Boolean));
      const next = server.filter((s) => !gone.has(s.id)).map((s) => {
        const existing = known.get(s.id);
        return existing ? applyServer(existing, s) : applyServer({ _key: s.id }, s);
      });
      todos = [...next, ...todos.filter((t) => !t.id && t._pending)];
      todos.sort(compareTodos);
      for (const key of [...conflicts.keys()]) if (!findTodo(key)) dismissConflict(key);
      loaded = true;
      loadError = null;
      lastSync = Date.now();
      section.dataset.loaded = 'true';
    } catch (err) {
      if (dead || err.unauthenticated) return;
      if (!loaded) loadError = err;
      else announceError(`Couldn't refresh your todos. ${errorMessage(err)}`);
    }
    render();
  }

  async function reloadTodo(todo) {
    if (!todo.id) return;
    try {
      const fresh = await api.get(`/todos/${encodeURIComponent(todo.id)}`);
      applyServer(todo, fresh);
      todos.sort(compareTodos);
    } catch (err) {
      if (err.status === 404) removeLocal(todo);
      else if (!err.unauthenticated) announceError(`Couldn't reload “${short(todo.title)}”. ${errorMessage(err)}`);
    }
    render();
  }

  // PATCHes todo with changes (already shown locally). Resolves true on success.
  async function sendPatch(todo, changes) {
    if (!todo.id || !todos.includes(todo)) return false;
    try {
      const updated = await api.patch(`/todos/${encodeURIComponent(todo.id)}`, changes, {
        headers: { 'If-Match': `"${todo.version}"` },
      });
      if (updated) applyServer(todo, updated);
      todos.sort(compareTodos);
      render();
      return true;
    } catch (err) {
      if (dead || err.unauthenticated) return false;
      if (err.status === 412) {
        await reloadTodo(todo);
        if (todos.includes(todo)) showConflict(todo, changes);
        else announceError(`“${short(todo.title)}” was deleted on another device.`);
      } else if (err.status === 404) {
        removeLocal(todo);
        render();
        announceError(`“${short(todo.title)}” was deleted on another device.`);
      } else {
        announceError(`Couldn't save “${short(todo.title)}”. ${errorMessage(err)}`);
        await reloadTodo(todo);
      }
      return false;
    }
  }

  // Shows changes on todo now and queues the PATCH.
  function updateTodo(todo, changes) {
    Object.assign(todo, changes);
    todos.sort(compareTodos);
    render();
    return enqueue(() => sendPatch(todo, changes));
  }

  function removeLocal(todo) {
    todos = todos.filter((t) => t !== todo);
    openDetails.delete(todo._key);
    dismissConflict(todo._key);
  }

  // ---- actions --------------------------------------------------------

  function findTodo(key) {
    return todos.find((t) => t._key === key);
  }

  function addTodo() {
    const title = newTodo.value.trim();
    newTodo.value = '';
    if (!title) return;
    const last = todos[todos.length - 1];
    const todo = {
      _key: `new-${++tmpCounter}`,
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
    todos.push(todo);
    render();
    enqueue(async () => {
      try {
        const created = await api.post('/todos', { title });
        applyServer(todo, created);
        delete todo._pending;
        todos.sort(compareTodos);
        render();
      } catch (err) {
        removeLocal(todo);
        render();
        if (dead || err.unauthenticated) return;
        if (!newTodo.value) newTodo.value = title;
        announceError(`Couldn't add “${short(title)}”. ${errorMessage(err)}`);
      }
    });
  }

  function destroyTodo(todo) {
    removeLocal(todo);
    deleting.add(todo);
    render();
    announce(`Deleted “${short(todo.title)}”.`);
    enqueue(async () => {
      if (!todo.id) {
        deleting.delete(todo); // its creation failed
        return;
      }
      try {
        await api.del(`/todos/${encodeURIComponent(todo.id)}`);
        deleting.delete(todo);
      } catch (err) {
        deleting.delete(todo);
        if (dead || err.unauthenticated || err.status === 404) return;
        announceError(`Couldn't delete “${short(todo.title)}”. ${errorMessage(err)}`);
        await syncAll();
      }
    });
  }

  function toggleTodo(todo, completed) {
    updateTodo(todo, { completed });
  }

  function setAllCompleted(completed) {
    if (editingKey) finishEdit(true);
    for (const t of todos) t.completed = completed;
    render();
    enqueue(async () => {
      try {
        const res = await api.patch('/todos', { completed });
        const n = res && typeof res.updated === 'number' ? res.updated : todos.length;
        announce(completed ? `Marked ${plural(n, 'todo')} as completed.` : `Marked ${plural(n, 'todo')} as active.`);
      } catch (err) {
        if (dead || err.unauthenticated) return;
        announceError(`Couldn't update your todos. ${errorMessage(err)}`);
      }
      await syncAll();
    });
  }

  function clearCompletedTodos() {
    if (document.activeElement === clearCompleted) newTodo.focus();
    for (const t of todos.filter((x) => x.completed)) removeLocal(t);
    render();
    enqueue(async () => {
      try {
        const res = await api.del('/todos', { query: { completed: 'true' } });
        const n = res && typeof res.deleted === 'number' ? res.deleted : 0;
        announce(`Cleared ${plural(n, 'completed todo')}.`);
      } catch (err) {
        if (dead || err.unauthenticated) return;
        announceError(`Couldn't clear completed todos. ${errorMessage(err)}`);
      }
      await syncAll();
    });
  }

  // ---- editing --------------------------------------------------------

  function startEdit(todo) {
    if (editingKey && editingKey !== todo._key) finishEdit(true);
    const item = items.get(todo._key);
    if (!item) return;
    editingKey = todo._key;
    openDetails.delete(todo._key);
    item.edit.value = todo.title;
    render();
    item.edit.focus();
    const end = item.edit.value.length;
    item.edit.setSelectionRange(end, end);
  }

  // Leaves edit mode; with save, an empty title deletes the todo.
  function finishEdit(save, { refocus = false } = {}) {
    const key = editingKey;
    if (!key) return;
    editingKey = null;
    const item = items.get(key);
    const todo = findTodo(key);
    if (!todo || !item) {
      render();
      return;
    }
    const title = item.edit.value.trim();
    if (save && !title) {
      destroyTodo(todo);
      if (refocus && !list.contains(document.activeElement)) newTodo.focus();
      return;
    }
    if (save && title !== todo.title) updateTodo(todo, { title });
    else render();
    if (refocus) {
      const again = items.get(key);
      if (again) again.li.focus();
    }
  }

  // ---- details --------------------------------------------------------

  function fillDetails(item, todo) {
    item.notes.value = todo.notes || '';
    item.dueInput.value = dueDate(todo.due) || '';
  }

  function setDetailsOpen(todo, open) {
    if (open) {
      if (editingKey) finishEdit(true);
      openDetails.add(todo._key);
      const item = items.get(todo._key);
      if (item) fillDetails(item, todo);
    } else {
      openDetails.delete(todo._key);
    }
    render();
    const item = items.get(todo._key);
    if (!item) return;
    if (open) item.notes.focus();
    else item.detailsButton.focus();
  }

  function saveDetails(todo) {
    const item = items.get(todo._key);
    if (!item) return;
    const changes = {};
    const notes = item.notes.value;
    if (notes !== (todo.notes || '')) changes.notes = notes;
    const due = item.dueInput.value || null;
    if (due !== dueDate(todo.due)) changes.due = dueToAPI(due);
    setDetailsOpen(todo, false);
    if (!Object.keys(changes).length) return;
    updateTodo(todo, changes).then((ok) => {
      if (ok) announce(`Saved the details of “${short(todo.title)}”.`);
    });
  }

  // ---- reordering -----------------------------------------------------

  function visibleTodos() {
    return todos.filter(FILTERS[filter]);
  }

  // Moves todo before or after target and saves its new order (the
  // midpoint of its new neighbours; renumbers the list when there is no
  // room between them).
  function moveTo(todo, target, position) {
    if (todo === target) return;
    const rest = todos.filter((t) => t !== todo);
    const at = rest.indexOf(target) + (position === 'after' ? 1 : 0);
    const lo = rest[at - 1];
    const hi = rest[at];
    let order;
    if (lo && hi) order = (lo.order + hi.order) / 2;
    else if (lo) order = lo.order + 1;
    else if (hi) order = hi.order - 1;
    else return;
    const fits = Number.isFinite(order) && (!lo || order > lo.order) && (!hi || order < hi.order);
    if (fits) {
      updateTodo(todo, { order });
    } else {
      const sequence = [...rest.slice(0, at), todo, ...rest.slice(at)];
      const changed = [];
      sequence.forEach((t, i) => {
        if (t.order !== i + 1) {
          t.order = i + 1;
          changed.push(t);
        }
      });
      todos.sort(compareTodos);
      render();
      for (const t of changed) enqueue(() => sendPatch(t, { order: t.order }));
    }
    const visible = visibleTodos();
    announce(`Moved “${short(todo.title)}” to position ${visible.indexOf(todo) + 1} of ${visible.length}.`);
  }

  function moveBy(todo, delta) {
    const visible = visibleTodos();
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
    moveTo(todo, visible[j], delta < 0 ? 'before' : 'after');
  }

  function clearDropMarks() {
    for (const item of items.values()) item.li.classList.remove('drop-before', 'drop-after', 'dragging');
    list.classList.remove('is-dragging');
  }

  // ---- conflicts ------------------------------------------------------

  function showConflict(todo, changes) {
    const key = todo._key;
    dismissConflict(key);
    const what = describeChanges(changes);
    const apply = h('button', { type: 'button', class: 'button small primary conflict-apply' }, 'Apply my change');
    const discard = h('button', { type: 'button', class: 'button small conflict-dismiss' }, 'Keep the other version');
    const el = h(
      'div',
      { class: 'conflict', role: 'alert', dataset: { key, id: todo.id } },
      icon('alert', { size: 20 }),
      h(
        'div',
        { class: 'conflict-body' },
        h('p', { class: 'conflict-title' }, `“${short(todo.title)}” was changed on another device.`),
        h('p', {}, 'Your change was not saved, so nothing was overwritten. The list now shows the latest version.'),
        what ? h('p', { class: 'conflict-mine' }, `Your change: ${what}.`) : null,
        h('div', { class: 'conflict-actions' }, apply, discard),
      ),
    );
    apply.addEventListener('click', () => {
      dismissConflict(key);
      const current = findTodo(key);
      if (current) {
        updateTodo(current, changes).then((ok) => {
          if (ok) announce(`Saved your change to “${short(current.title)}”.`);
        });
        focusItem(key);
      }
    });
    discard.addEventListener('click', () => {
      dismissConflict(key);
      focusItem(key);
    });
    conflicts.set(key, el);
    conflictsEl.append(el);
    render();
  }

  function dismissConflict(key) {
    const el = conflicts.get(key);
    if (!el) return;
    el.remove();
    conflicts.delete(key);
    const item = items.get(key);
    if (item) item.li.classList.remove('has-conflict');
  }

  function focusItem(key) {
    const item = items.get(key);
    if (item) item.li.focus();
    else newTodo.focus();
  }

  // ---- items ----------------------------------------------------------

  function buildItem(key) {
    const toggle = h('input', { class: 'toggle', type: 'checkbox', 'aria-labelledby': `title-${key}` });
    const label = h('label', { id: `title-${key}`, 'data-testid': 'todo-title' });
    const dueText = h('time', {});
    const due = h('span', { class: 'due', hidden: true }, icon('calendar', { size: 14 }), dueText);
    const notesMark = h('span', { class: 'notes-mark', hidden: true, title: 'Has notes' }, icon('note', { size: 14 }), h('span', { class: 'visually-hidden' }, 'Has notes'));
    const meta = h('span', { class: 'meta' }, due, notesMark);
    const handle = h('span', { class: 'drag-handle', draggable: true, 'aria-hidden': 'true', title: 'Drag to reorder' }, icon('grip', { size: 18 }));
    const detailsButton = h('button', { type: 'button', class: 'details-toggle icon-button', 'aria-expanded': 'false', 'aria-controls': `details-${key}` }, icon('chevron-down', { size: 18 }));
    const destroy = h('button', { type: 'button', class: 'destroy' });
    const view = h('div', { class: 'view' }, toggle, h('div', { class: 'todo-body' }, label, meta), handle, detailsButton, destroy);
    const edit = h('input', { class: 'edit', maxlength: 500, autocomplete: 'off', 'aria-label': 'Edit title' });
    const notes = h('textarea', { id: `notes-${key}`, name: 'notes', rows: 3, maxlength: 10000, placeholder: 'Add some details…' });
    const dueInput = h('input', { id: `due-${key}`, name: 'due', type: 'date' });
    const moveUp = h('button', { type: 'button', class: 'button small move-up' }, icon('arrow-up', { size: 16 }), 'Move up');
    const moveDown = h('button', { type: 'button', class: 'button small move-down' }, icon('arrow-down', { size: 16 }), 'Move down');
    const stamp = h('p', { class: 'details-stamp' });
    // The only <label> in a todo is its title (TodoMVC tests read
    // "li label"), so these controls are named with aria-labelledby.
    const notesLabel = h('span', { class: 'details-label', id: `notes-label-${key}` }, 'Notes');
    const dueLabel = h('span', { class: 'details-label', id: `due-label-${key}` }, 'Due date');
    notes.setAttribute('aria-labelledby', notesLabel.id);
    dueInput.setAttribute('aria-labelledby', dueLabel.id);
    notesLabel.addEventListener('click', () => notes.focus());
    dueLabel.addEventListener('click', () => dueInput.focus());
    const details = h(
      'form',
      { class: 'details', id: `details-${key}`, hidden: true, novalidate: true, 'aria-label': 'Notes and due date' },
      h('div', { class: 'field field-notes' }, notesLabel, notes),
      h('div', { class: 'field field-due' }, dueLabel, dueInput),
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
    const li = h('li', { tabindex: '0', dataset: { key, testid: 'todo-item' }, 'aria-describedby': 'todo-help' }, view, edit, details);
    const todo = () => findTodo(key);

    toggle.addEventListener('change', () => {
      const t = todo();
      if (t) toggleTodo(t, toggle.checked);
    });
    label.addEventListener('mousedown', (event) => {
      if (event.detail > 1) event.preventDefault(); // no word selection on double-click
    });
    label.addEventListener('dblclick', () => {
      const t = todo();
      if (t) startEdit(t);
    });
    destroy.addEventListener('click', () => {
      const t = todo();
      if (t) destroyTodo(t);
    });
    detailsButton.addEventListener('click', () => {
      const t = todo();
      if (t) setDetailsOpen(t, !openDetails.has(key));
    });
    edit.addEventListener('keydown', (event) => {
      if (event.isComposing) return;
      if (event.key === 'Enter') {
        event.preventDefault();
        event.stopPropagation();
        finishEdit(true, { refocus: true });
      } else if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        finishEdit(false, { refocus: true });
      }
    });
    edit.addEventListener('blur', () => {
      if (editingKey === key) finishEdit(true);
    });
    details.addEventListener('submit', (event) => {
      event.preventDefault();
      const t = todo();
      if (t) saveDetails(t);
    });
    details.querySelector('.details-cancel').addEventListener('click', () => {
      const t = todo();
      if (t) setDetailsOpen(t, false);
    });
    details.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        const t = todo();
        if (t) setDetailsOpen(t, false);
      }
    });
    moveUp.addEventListener('click', () => {
      const t = todo();
      if (t) moveBy(t, -1);
    });
    moveDown.addEventListener('click', () => {
      const t = todo();
      if (t) moveBy(t, 1);
    });
    li.addEventListener('keydown', (event) => onItemKeydown(event, key));

    handle.addEventListener('dragstart', (event) => {
      dragKey = key;
      li.classList.add('dragging');
      list.classList.add('is-dragging');
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', (todo() || {}).title || '');
      try {
        event.dataTransfer.setDragImage(li, 24, 24);
      } catch {
        // Some browsers refuse a custom drag image; the default one works too.
      }
    });
    handle.addEventListener('dragend', () => {
      dragKey = null;
      clearDropMarks();
    });
    li.addEventListener('dragover', (event) => {
      if (!dragKey || dragKey === key) return;
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
      if (!dragKey) return;
      event.preventDefault();
      const before = li.classList.contains('drop-before');
      const dragged = findTodo(dragKey);
      const target = todo();
      dragKey = null;
      clearDropMarks();
      if (dragged && target && dragged !== target) moveTo(dragged, target, before ? 'before' : 'after');
    });

    return { li, toggle, label, due, dueText, notesMark, detailsButton, destroy, edit, details, notes, dueInput, stamp };
  }

  function onItemKeydown(event, key) {
    const todo = findTodo(key);
    const item = items.get(key);
    if (!todo || !item) return;
    const target = event.target;
    if (target === item.edit || item.details.contains(target)) return;
    if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
      event.preventDefault();
      moveBy(todo, event.key === 'ArrowUp' ? -1 : 1);
      return;
    }
    if (target !== item.li || event.altKey || event.ctrlKey || event.metaKey) return;
    const lis = [...list.children];
    const i = lis.indexOf(item.li);
    switch (event.key) {
      case 'Enter':
      case 'F2':
        event.preventDefault();
        startEdit(todo);
        break;
      case ' ':
        event.preventDefault();
        toggleTodo(todo, !todo.completed);
        break;
      case 'ArrowDown':
        event.preventDefault();
        if (lis[i + 1]) lis[i + 1].focus();
        break;
      case 'ArrowUp':
        event.preventDefault();
        if (lis[i - 1]) lis[i - 1].focus();
        else newTodo.focus();
        break;
      case 'Home':
        event.preventDefault();
        if (lis[0]) lis[0].focus();
        break;
      case 'End':
        event.preventDefault();
        if (lis.length) lis[lis.length - 1].focus();
        break;
      default:
    }
  }

  function updateItem(item, todo) {
    const key = todo._key;
    const { li } = item;
    if (todo.id) li.dataset.id = todo.id;
    const editing = editingKey === key;
    const open = openDetails.has(key);
    const due = describeDue(todo.due, todo.completed);
    li.classList.toggle('completed', Boolean(todo.completed));
    li.classList.toggle('editing', editing);
    li.classList.toggle('pending', Boolean(todo._pending));
    li.classList.toggle('overdue', Boolean(due && due.state === 'overdue'));
    li.classList.toggle('has-conflict', conflicts.has(key));
    li.classList.toggle('open', open);
    item.toggle.checked = Boolean(todo.completed);
    if (item.label.textContent !== todo.title) item.label.textContent = todo.title;
    item.destroy.setAttribute('aria-label', `Delete “${todo.title}”`);
    item.destroy.title = 'Delete';
    item.detailsButton.setAttribute('aria-label', `Notes and due date of “${todo.title}”`);
    item.detailsButton.setAttribute('aria-expanded', String(open));
    item.detailsButton.title = open ? 'Hide details' : 'Notes and due date';
    if (due) {
      item.due.hidden = false;
      item.due.className = `due due-${due.state}`;
      item.dueText.textContent = due.text;
      item.dueText.setAttribute('datetime', due.ymd);
      item.due.title = due.title;
    } else {
      item.due.hidden = true;
    }
    item.notesMark.hidden = !todo.notes;
    item.details.hidden = !open || editing;
    if (!open) fillDetails(item, todo);
    const stamps = [];
    if (todo.created_at) stamps.push(`Created ${formatDateTime(todo.created_at)}`);
    if (todo.completed && todo.completed_at) stamps.push(`completed ${formatDateTime(todo.completed_at)}`);
    item.stamp.textContent = stamps.join(' · ');
  }

  // ---- render ---------------------------------------------------------

  function render() {
    if (dead) return;
    const visible = visibleTodos();
    const activeCount = todos.filter((t) => !t.completed).length;
    const completedCount = todos.length - activeCount;
    const any = todos.length > 0;

    if (!loaded && !any) {
      statusEl.replaceChildren(
        loadError ? errorBlock(`Couldn't load your todos. ${errorMessage(loadError)}`, retryLoad) : loadingBlock('Loading your todos…'),
      );
    } else {
      statusEl.replaceChildren();
    }
    main.hidden = !any;
    footer.hidden = !any;
    emptyEl.hidden = !(loaded && !any);
    toggleAll.checked = any && activeCount === 0;
    countNumber.textContent = String(activeCount);
    countWords.data = ` ${activeCount === 1 ? 'item' : 'items'} left`;
    clearCompleted.hidden = completedCount === 0;
    for (const [name, a] of Object.entries(filterLinks)) {
      a.classList.toggle('selected', name === filter);
      if (name === filter) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    filterEmpty.hidden = !any || visible.length > 0;
    filterEmpty.textContent = EMPTY_FILTER_TEXT[filter];
    reconcile(visible);
  }

  // Updates the <li>s in place, keyed by todo, so focus and edits survive.
  function reconcile(visible) {
    const active = document.activeElement;
    const activeLi = active && list.contains(active) ? active.closest('li') : null;
    const activeIndex = activeLi ? [...list.children].indexOf(activeLi) : -1;
    const wanted = new Set(visible.map((t) => t._key));
    for (const [key, item] of items) {
      if (!wanted.has(key)) {
        item.li.remove();
        items.delete(key);
        if (editingKey === key) editingKey = null;
      }
    }
    let ref = list.firstElementChild;
    for (const todo of visible) {
      let item = items.get(todo._key);
      if (!item) {
        item = buildItem(todo._key);
        items.set(todo._key, item);
      }
      updateItem(item, todo);
      if (item.li === ref) ref = ref.nextElementSibling;
      else list.insertBefore(item.li, ref);
    }
    // Moving or removing the focused element drops focus; put it back.
    if (activeLi && !list.contains(document.activeElement)) {
      const focusable = (el) => el && el.isConnected && el.getClientRects().length > 0;
      if (focusable(active)) active.focus({ preventScroll: false });
      else if (activeLi.isConnected) activeLi.focus();
      else if (list.children.length) list.children[Math.min(activeIndex, list.children.length - 1)].focus();
      else newTodo.focus();
    }
  }

  function retryLoad() {
    loadError = null;
    render();
    enqueue(syncAll);
  }

  // ---- wiring ---------------------------------------------------------

  newTodo.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) {
      event.preventDefault();
      addTodo();
    }
  });
  toggleAll.addEventListener('change', () => setAllCompleted(toggleAll.checked));
  clearCompleted.addEventListener('click', clearCompletedTodos);
  list.addEventListener('dragover', (event) => {
    if (dragKey) event.preventDefault();
  });

  // Coming back to the tab picks up changes made on other devices.
  function onVisibility() {
    if (document.visibilityState !== 'visible' || !loaded || pending > 0) return;
    if (editingKey || openDetails.size || Date.now() - lastSync < RESYNC_AFTER_MS) return;
    enqueue(syncAll);
  }
  document.addEventListener('visibilitychange', onVisibility);

  render();
  enqueue(syncAll);

  return {
    update(next) {
      if (next.name !== 'todos') return false;
      if (editingKey) finishEdit(true);
      filter = next.filter || 'all';
      render();
      return true;
    },
    focus() {
      newTodo.focus();
    },
    unmount() {
      dead = true;
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
