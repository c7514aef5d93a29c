// Small DOM helpers. Everything is built with createElement and text nodes,
// never innerHTML, so user data can't become markup, and nothing sets a
// style attribute (the CSP forbids inline styles).

// Keys set as DOM properties rather than attributes.
const PROPERTIES = new Set(['checked', 'disabled', 'hidden', 'selected', 'textContent', 'draggable', 'noValidate', 'multiple', 'readOnly', 'required']);

/**
 * Creates an element. props: class (string or array), dataset (object),
 * onEVENT (listener), value (set after the children, so <select> works),
 * booleans (true adds the attribute, false/null/undefined skips it), and
 * any other attribute. Children: nodes, strings, numbers or arrays of them.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [key, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (key === 'class') {
      el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    } else if (key === 'dataset') {
      for (const [k, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) el.dataset[k] = String(dv);
    } else if (key.startsWith('on') && typeof v === 'function') {
      el.addEventListener(key.slice(2), v);
    } else if (key === 'value') {
      value = v;
    } else if (PROPERTIES.has(key)) {
      el[key] = v;
    } else {
      el.setAttribute(key, v === true ? '' : String(v));
    }
  }
  append(el, children);
  if (value !== undefined) el.value = value;
  return el;
}

/** Appends children (nodes, strings, arrays; null and booleans skipped). */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) el.setAttribute(key, String(v));
  }
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

/** Empties el. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** A centred loading indicator. */
export function loadingBlock(text = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', {}, text));
}

/** A block that says what went wrong, with an optional retry button. */
export function errorBlock(message, onRetry) {
  return h(
    'div',
    { class: 'error-block', role: 'alert' },
    h('p', {}, message),
    onRetry ? h('button', { type: 'button', class: 'button', onclick: onRetry }, 'Try again') : null,
  );
}

let dialogCount = 0;

/**
 * Shows a modal confirmation dialog. Resolves true when the user confirms,
 * false on Cancel or Escape. Hooks: #confirm-dialog, .confirm-ok,
 * .confirm-cancel.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', cancelLabel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    const n = ++dialogCount;
    const dialog = h(
      'dialog',
      { id: 'confirm-dialog', class: 'dialog', 'aria-labelledby': `confirm-title-${n}`, 'aria-describedby': `confirm-message-${n}` },
      h(
        'form',
        { method: 'dialog', class: 'dialog-body' },
        h('h2', { id: `confirm-title-${n}`, class: 'dialog-title' }, title),
        h('p', { id: `confirm-message-${n}`, class: 'dialog-message' }, message),
        h(
          'div',
          { class: 'dialog-actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'button confirm-cancel', autofocus: true }, cancelLabel),
          h('button', { type: 'submit', value: 'confirm', class: `button ${danger ? 'danger' : 'primary'} confirm-ok` }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'confirm';
      dialog.remove();
      if (previous && previous.isConnected && typeof previous.focus === 'function') previous.focus();
      resolve(ok);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Up to two initials for an avatar. */
export function initials(name, email) {
  const source = (name || '').trim() || (email || '').split('@')[0] || '?';
  const parts = source.split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : source.slice(0, 2);
  return letters.toUpperCase();
}
