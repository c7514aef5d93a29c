// The todo list (#/, #/active, #/completed), with the TodoMVC markup and
// behaviour, plus notes, due dates, reordering and conflict handling.
//
// This module mounts the screen and wires its parts, which live in todos/:
//   model.js        the state object shared by the parts, pure helpers
//   skeleton.js     the fixed markup
//   store.js        the queue of changes and the API calls (see there for
//                   how saves and conflicts work)
//   actions.js      add, delete and toggle one todo
//   editing.js      inline editing of the title, notes and due date
//   reorder.js      drag and drop, move up / down
//   conflicts.js    the "changed on another device" messages
//   item.js         one todo's <li>; item-events.js: its listeners
//   footer.js       the footer, filters and whole-list actions
//   render.js       drawing the screen from the state
//   live.js         changes made on other devices, applied in place
//   import.js       the Import button: an export or a TodoMVC list

import { createState } from './todos/model.js';
import { buildSkeleton } from './todos/skeleton.js';
import { enqueue, syncAll } from './todos/store.js';
import { addTodo } from './todos/actions.js';
import { finishEdit } from './todos/editing.js';
import { wireListDrop } from './todos/reorder.js';
import { wireBulkActions } from './todos/footer.js';
import { render } from './todos/render.js';
import { followLive } from './todos/live.js';
import { wireImport } from './todos/import.js';

const RESYNC_AFTER_MS = 15000;

function wireNewTodo(view) {
  view.dom.newTodo.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.isComposing) {
      event.preventDefault();
      addTodo(view);
    }
  });
}

// Coming back to the tab picks up changes made on other devices.
function resyncWhenVisible(view) {
  if (document.visibilityState !== 'visible' || !view.loaded || view.pending > 0) return;
  if (view.editingKey || view.openDetails.size || Date.now() - view.lastSync < RESYNC_AFTER_MS) return;
  enqueue(view, () => syncAll(view));
}

/** Mounts the todos screen; route.filter is all, active or completed. */
export function mountTodos(root, ctx, route) {
  const dom = buildSkeleton();
  const view = createState(route.filter || 'all', dom);
  view.render = () => render(view);
  const stopLive = followLive(view);
  root.append(dom.page);

  wireNewTodo(view);
  wireBulkActions(view);
  wireListDrop(view);
  wireImport(view);
  const onVisibility = () => resyncWhenVisible(view);
  document.addEventListener('visibilitychange', onVisibility);

  view.render();
  enqueue(view, () => syncAll(view));

  return {
    update(next) {
      if (next.name !== 'todos') return false;
      if (view.editingKey) finishEdit(view, true);
      view.filter = next.filter || 'all';
      view.render();
      return true;
    },
    focus() {
      dom.newTodo.focus();
    },
    unmount() {
      view.dead = true;
      stopLive();
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
