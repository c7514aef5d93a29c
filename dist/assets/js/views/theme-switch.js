// The colour theme on the account screen: System (follow the device),
// Light or Dark. The choice applies at once, is kept in localStorage
// ("listo-theme", absent for System) and becomes <html data-theme>, which
// app.css keys on; ../theme-boot.js applies it on every load.
// Hooks: #appearance, #theme-form, input[name="theme"] (#theme-system,
// #theme-light, #theme-dark).

import { h } from '../dom.js';
import { icon } from '../icons.js';

const KEY = 'listo-theme';
const CHOICES = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** The stored choice: "system", "light" or "dark". */
export function currentTheme() {
  let value = null;
  try {
    value = localStorage.getItem(KEY);
  } catch {
    // Storage is off: nothing was remembered.
  }
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** Applies value ("system", "light" or "dark") and remembers it. */
export function setTheme(value) {
  const root = document.documentElement;
  if (value === 'light' || value === 'dark') root.dataset.theme = value;
  else delete root.dataset.theme;
  try {
    if (value === 'light' || value === 'dark') localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  } catch {
    // Not remembered (storage is off), but applied for this page.
  }
}

/** The account screen's Appearance card. */
export function themeCard() {
  const chosen = currentTheme();
  const options = CHOICES.map(({ value, label }) =>
    h(
      'label',
      { class: 'theme-option', for: `theme-${value}` },
      h('input', { type: 'radio', name: 'theme', id: `theme-${value}`, value, checked: value === chosen }),
      h('span', { class: 'theme-option-text' }, icon('check', { size: 16, className: 'theme-check' }), label),
    ),
  );
  const form = h(
    'form',
    { id: 'theme-form', class: 'theme-form', novalidate: true },
    h('fieldset', { class: 'theme-switch', 'aria-describedby': 'appearance-description' }, h('legend', { class: 'visually-hidden' }, 'Colour theme'), options),
  );
  form.addEventListener('change', (event) => {
    if (event.target.name === 'theme') setTheme(event.target.value);
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  return h(
    'section',
    { id: 'appearance', class: 'card settings-card', 'aria-labelledby': 'appearance-title' },
    h('h2', { id: 'appearance-title', class: 'card-title' }, 'Appearance'),
    h('p', { class: 'card-description', id: 'appearance-description' }, 'System follows your device’s light or dark setting. This browser remembers your choice.'),
    form,
  );
}
