// Form building and problem+json error display.
//
// A field error {field: "/password", message} from the API is shown under
// the control whose name is "password" (a .field-error element the control
// points to with aria-describedby); anything that matches no control, and
// the problem's detail when no field matched, goes to the form's
// .form-error box.

import { h } from './dom.js';
import { icon } from './icons.js';
import { errorMessage } from './api.js';

/**
 * A labelled input in a .field wrapper (data-field = name). Options: id,
 * name, label, type, autocomplete, required, hint, value, placeholder,
 * maxlength, reveal (adds a show/hide button for passwords), inputmode.
 */
export function field({ id, name, label, type = 'text', autocomplete, required = false, optional = false, hint, value, placeholder, maxlength, reveal = false, inputmode, spellcheck }) {
  const hintID = hint ? `${id}-hint` : null;
  const input = h('input', {
    id,
    name,
    type,
    autocomplete,
    required,
    value,
    placeholder,
    maxlength,
    inputmode,
    spellcheck: spellcheck ?? (type === 'email' || type === 'password' ? 'false' : null),
    autocapitalize: type === 'email' || type === 'password' ? 'off' : null,
    'aria-describedby': hintID,
  });
  const labelEl = h('label', { for: id }, label, optional ? h('span', { class: 'optional' }, ' (optional)') : null);
  let control = input;
  if (reveal) {
    const button = h(
      'button',
      { type: 'button', class: 'reveal', 'aria-pressed': 'false', 'aria-controls': id, title: 'Show password' },
      icon('eye'),
      h('span', { class: 'visually-hidden' }, 'Show password'),
    );
    button.addEventListener('click', () => {
      const shown = input.type === 'text';
      input.type = shown ? 'password' : 'text';
      button.setAttribute('aria-pressed', String(!shown));
      button.title = shown ? 'Show password' : 'Hide password';
      button.replaceChildren(icon(shown ? 'eye' : 'eye-off'), h('span', { class: 'visually-hidden' }, 'Show password'));
    });
    control = h('div', { class: 'input-group' }, input, button);
  }
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    labelEl,
    control,
    hint ? h('p', { class: 'hint', id: hintID }, hint) : null,
  );
}

/** The form's .form-error box, created at the top of the form if missing. */
function formErrorBox(form) {
  let box = form.querySelector(':scope > .form-error');
  if (!box) {
    box = h('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    form.prepend(box);
  }
  return box;
}

/** Removes every error shown on form. */
export function clearFormErrors(form) {
  for (const control of form.querySelectorAll('[aria-invalid="true"]')) clearFieldError(control);
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  const box = form.querySelector(':scope > .form-error');
  if (box) {
    box.hidden = true;
    box.replaceChildren();
  }
  const ok = form.querySelector('.form-success');
  if (ok) ok.textContent = '';
}

/** Turns a JSON pointer ("/password", "/a~1b") or "?param" into a name. */
function pointerName(field) {
  if (typeof field !== 'string') return '';
  if (field.startsWith('?')) return field.slice(1);
  const first = field.replace(/^#/, '').replace(/^\//, '').split('/')[0] || '';
  return first.replace(/~1/g, '/').replace(/~0/g, '~');
}

function findControl(form, name) {
  if (!name) return null;
  const found = form.elements.namedItem(name);
  if (!found) return null;
  // A RadioNodeList: the first visible control of that name.
  const control = found instanceof RadioNodeList ? found[0] : found;
  if (!control || control.type === 'hidden' || control.hidden) return null;
  return control;
}

// The text of the control's <label>, without "(optional)".
function labelText(control) {
  if (!control.id || !control.form) return '';
  const label = control.form.querySelector(`label[for="${CSS.escape(control.id)}"]`);
  if (!label) return '';
  const first = label.firstChild;
  return (first && first.nodeType === Node.TEXT_NODE ? first.data : label.textContent).trim();
}

// The API's field messages complete a sentence about the field ("must be at
// least 8 characters"); start them with the field's label.
function sentence(control, message) {
  const text = String(message || '').trim();
  if (!/^[a-z]/.test(text)) return text;
  const name = labelText(control);
  const full = name ? `${name} ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(full) ? full : `${full}.`;
}

/** Shows message under control and marks it invalid. */
export function setFieldError(control, message) {
  message = sentence(control, message);
  const wrap = control.closest('.field') || control.parentElement;
  const id = `${control.id || control.name}-error`;
  let p = wrap.querySelector(':scope > .field-error');
  if (!p) {
    p = h('p', { class: 'field-error', id }, icon('alert', { size: 16 }), h('span', { class: 'field-error-text' }));
    wrap.append(p);
  }
  const text = p.querySelector('.field-error-text');
  text.textContent = text.textContent ? `${text.textContent} ${message}` : message;
  control.setAttribute('aria-invalid', 'true');
  const ids = (control.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) control.setAttribute('aria-describedby', [...ids, id].join(' '));
  // The message goes away once the user changes the value.
  control.addEventListener('input', () => clearFieldError(control), { once: true });
}

function clearFieldError(control) {
  const wrap = control.closest('.field') || control.parentElement;
  const p = wrap && wrap.querySelector(':scope > .field-error');
  if (p) p.remove();
  control.removeAttribute('aria-invalid');
  const ids = (control.getAttribute('aria-describedby') || '').split(/\s+/).filter((t) => t && !t.endsWith('-error'));
  if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
  else control.removeAttribute('aria-describedby');
}

/**
 * Shows err (an ApiError or a string) on form. options.fallbackField names a
 * control to attach the problem's detail to when the status is in
 * options.fallbackStatuses and no field error matched (e.g. 403 "current
 * password is wrong" → current_password).
 */
export function showFormErrors(form, err, { fallbackField, fallbackStatuses = [] } = {}) {
  clearFormErrors(form);
  if (err && err.unauthenticated) return;
  const leftovers = [];
  let first = null;
  for (const fe of (err && err.fieldErrors) || []) {
    let name = pointerName(fe.field);
    // Schema validators report a missing property at the parent ("" or "/")
    // with the name in the message.
    if (!name) {
      const m = /missing propert(?:y|ies):?\s*'?"?([\w.-]+)/i.exec(fe.message || '');
      if (m) name = m[1];
    }
    const control = findControl(form, name);
    if (control) {
      setFieldError(control, fe.message || 'This value is not valid.');
      first = first || control;
    } else {
      leftovers.push(fe);
    }
  }
  if (!first && fallbackField && err && fallbackStatuses.includes(err.status)) {
    const control = findControl(form, fallbackField);
    if (control) {
      setFieldError(control, errorMessage(err));
      first = control;
    }
  }
  if (!first || leftovers.length) {
    const box = formErrorBox(form);
    box.replaceChildren(
      icon('alert', { size: 18 }),
      h(
        'div',
        {},
        h('p', {}, typeof err === 'string' ? err : errorMessage(err)),
        leftovers.length
          ? h('ul', {}, leftovers.map((fe) => h('li', {}, pointerName(fe.field) ? `${pointerName(fe.field)}: ${fe.message}` : fe.message)))
          : null,
      ),
    );
    box.hidden = false;
    if (!first) {
      box.focus();
      return;
    }
  }
  first.focus();
}

/** Shows a short success note in the form's .form-success element. */
export function showFormSuccess(form, message) {
  const ok = form.querySelector('.form-success');
  if (ok) ok.textContent = message;
}

/**
 * Runs fn while the form's submit button is disabled and shows busyText;
 * the form gets aria-busy. Resolves with fn's result.
 */
export async function withBusy(form, busyText, fn) {
  const button = form.querySelector('button[type="submit"]');
  const label = button ? button.textContent : '';
  form.setAttribute('aria-busy', 'true');
  if (button) {
    button.disabled = true;
    button.textContent = busyText;
  }
  try {
    return await fn();
  } finally {
    form.removeAttribute('aria-busy');
    if (button) {
      button.disabled = false;
      button.textContent = label;
    }
  }
}

/** The form's values as an object of strings. */
export function formValues(form) {
  const out = {};
  for (const [key, value] of new FormData(form)) out[key] = typeof value === 'string' ? value : '';
  return out;
}
