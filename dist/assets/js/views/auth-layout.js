// The card the signed-out screens share (log in, sign up, forgot and reset
// password, the mailed links), and the outcome a screen shows in place of
// its form.

import { h } from '../dom.js';
import { icon, logo } from '../icons.js';

/** The centred card with the brand, a title, an optional lead and notice, the body and a footer. */
export function authLayout({ id, title, lead, notice, form, footer }) {
  return h(
    'section',
    { class: 'auth', id, 'aria-labelledby': `${id}-title` },
    h(
      'div',
      { class: 'auth-card card' },
      h('div', { class: 'auth-brand' }, logo({ size: 40 }), h('span', { class: 'auth-brand-name' }, 'Listo')),
      h('h1', { id: `${id}-title`, class: 'auth-title', tabindex: '-1' }, title),
      lead ? h('p', { class: 'auth-lead' }, lead) : null,
      notice ? h('div', { class: 'notice', role: 'status' }, icon('info', { size: 18 }), h('p', {}, notice)) : null,
      form,
      footer ? h('p', { class: 'auth-switch' }, footer) : null,
    ),
  );
}

const KINDS = {
  success: { icon: 'check', role: 'status' },
  info: { icon: 'mail', role: 'status' },
  error: { icon: 'alert', role: 'alert' },
};

/**
 * Replaces the children of body with a message (kind: success, info or
 * error; class .outcome-KIND) and what to do next (nodes), and moves focus
 * to the message so it is read out. Hooks: .outcome, .outcome-message.
 */
export function showOutcome(body, { kind = 'info', id, message, next = [] }) {
  const k = KINDS[kind] || KINDS.info;
  const box = h(
    'div',
    { class: ['notice', 'outcome', `outcome-${kind}`], id, role: k.role, tabindex: '-1' },
    icon(k.icon, { size: 18 }),
    h('div', { class: 'outcome-text' }, [message].flat().map((line) => h('p', { class: 'outcome-message' }, line))),
  );
  body.replaceChildren(box, ...[next].flat().filter(Boolean));
  box.focus();
  return box;
}

/** A link styled as a full-width button. */
export function linkButton(href, label, { id, primary = true } = {}) {
  return h('a', { href, id, class: ['button', 'block', primary && 'primary'] }, label);
}
