// Drawing the todos screen from its state: the loading and empty states,
// the footer, and the <li>s, updated in place.

import { errorMessage } from '../../api.js';
import { errorBlock, loadingBlock } from '../../dom.js';
import { visibleTodos } from './model.js';
import { enqueue, syncAll } from './store.js';
import { buildItem, updateItem } from './item.js';
import { renderFooter } from './footer.js';

const EMPTY_FILTER_TEXT = {
  active: 'Nothing left to do. Everything is completed.',
  completed: 'No completed todos yet.',
  all: '',
};

function retryLoad(view) {
  view.loadError = null;
  render(view);
  enqueue(view, () => syncAll(view));
}

function renderStatus(view, any) {
  const { statusEl } = view.dom;
  if (!view.loaded && !any) {
    statusEl.replaceChildren(
      view.loadError ? errorBlock(`Couldn't load your todos. ${errorMessage(view.loadError)}`, () => retryLoad(view)) : loadingBlock('Loading your todos…'),
    );
  } else {
    statusEl.replaceChildren();
  }
}

/** Redraws the screen (nothing once it was left). */
export function render(view) {
  if (view.dead) return;
  const { dom, todos, filter } = view;
  const visible = visibleTodos(view);
  const activeCount = todos.filter((t) => !t.completed).length;
  const completedCount = todos.length - activeCount;
  const any = todos.length > 0;

  renderStatus(view, any);
  dom.main.hidden = !any;
  dom.emptyEl.hidden = !(view.loaded && !any);
  dom.toggleAll.checked = any && activeCount === 0;
  renderFooter(view, activeCount, completedCount);
  dom.filterEmpty.hidden = !any || visible.length > 0;
  dom.filterEmpty.textContent = EMPTY_FILTER_TEXT[filter];
  reconcile(view, visible);
}

// Removes the <li>s of todos no longer shown.
function dropHidden(view, visible) {
  const wanted = new Set(visible.map((t) => t._key));
  for (const [key, item] of view.items) {
    if (!wanted.has(key)) {
      item.li.remove();
      view.items.delete(key);
      if (view.editingKey === key) view.editingKey = null;
    }
  }
}

// Moving or removing the focused element drops focus; put it back.
function restoreFocus(view, active, activeLi, activeIndex) {
  const { list, newTodo } = view.dom;
  if (!activeLi || list.contains(document.activeElement)) return;
  const focusable = (el) => el && el.isConnected && el.getClientRects().length > 0;
  if (focusable(active)) active.focus({ preventScroll: false });
  else if (activeLi.isConnected) activeLi.focus();
  else if (list.children.length) list.children[Math.min(activeIndex, list.children.length - 1)].focus();
  else newTodo.focus();
}

// Updates the <li>s in place, keyed by todo, so focus and edits survive.
function reconcile(view, visible) {
  const { list } = view.dom;
  const active = document.activeElement;
  const activeLi = active && list.contains(active) ? active.closest('li') : null;
  const activeIndex = activeLi ? [...list.children].indexOf(activeLi) : -1;
  dropHidden(view, visible);
  let ref = list.firstElementChild;
  for (const todo of visible) {
    let item = view.items.get(todo._key);
    if (!item) {
      item = buildItem(view, todo._key);
      view.items.set(todo._key, item);
    }
    updateItem(view, item, todo);
    if (item.li === ref) ref = ref.nextElementSibling;
    else list.insertBefore(item.li, ref);
  }
  restoreFocus(view, active, activeLi, activeIndex);
}
