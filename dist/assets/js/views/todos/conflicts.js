// The .conflict messages shown when a save met a newer version of the todo
// (HTTP 412): they say what the user's change was and offer to apply it
// again or to keep the other version.

import { h } from '../../dom.js';
import { icon } from '../../icons.js';
import { announce } from '../../notify.js';
import { describeDue } from '../../format.js';
import { findTodo, short } from './model.js';

function describeChanges(changes) {
  const parts = [];
  if ('title' in changes) parts.push(`rename to “${short(changes.title)}”`);
  if ('completed' in changes) parts.push(changes.completed ? 'mark as completed' : 'mark as active');
  if ('notes' in changes) parts.push(changes.notes ? 'edit the notes' : 'clear the notes');
  if ('due' in changes) parts.push(changes.due ? `set the due date to ${describeDue(changes.due, false).title}` : 'remove the due date');
  if ('order' in changes) parts.push('move it');
  return parts.join(', ');
}

function conflictMessage(todo, changes, apply, discard) {
  const what = describeChanges(changes);
  return h(
    'div',
    { class: 'conflict', role: 'alert', dataset: { key: todo._key, id: todo.id } },
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
}

/**
 * Shows the conflict of todo. "Apply my change" calls reapply with the
 * current copy of the todo; it resolves true when the change was saved.
 */
export function showConflict(view, todo, changes, reapply) {
  const key = todo._key;
  dismissConflict(view, key);
  const apply = h('button', { type: 'button', class: 'button small primary conflict-apply' }, 'Apply my change');
  const discard = h('button', { type: 'button', class: 'button small conflict-dismiss' }, 'Keep the other version');
  const el = conflictMessage(todo, changes, apply, discard);
  apply.addEventListener('click', () => {
    dismissConflict(view, key);
    const current = findTodo(view, key);
    if (current) {
      reapply(current).then((ok) => {
        if (ok) announce(`Saved your change to “${short(current.title)}”.`);
      });
      focusItem(view, key);
    }
  });
  discard.addEventListener('click', () => {
    dismissConflict(view, key);
    focusItem(view, key);
  });
  view.conflicts.set(key, el);
  view.dom.conflictsEl.append(el);
  view.render();
}

export function dismissConflict(view, key) {
  const el = view.conflicts.get(key);
  if (!el) return;
  el.remove();
  view.conflicts.delete(key);
  const item = view.items.get(key);
  if (item) item.li.classList.remove('has-conflict');
}

function focusItem(view, key) {
  const item = view.items.get(key);
  if (item) item.li.focus();
  else view.dom.newTodo.focus();
}
