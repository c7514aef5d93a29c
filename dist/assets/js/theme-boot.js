// Applies the colour theme chosen on the account screen before the first
// paint: localStorage "listo-theme" is "light" or "dark", and becomes
// <html data-theme>; without it ("system") app.css follows
// prefers-color-scheme. index.html and 404.html load this file as a
// classic script in <head>, which runs before the body is drawn (a module
// script would run after parsing, possibly after a first paint in the
// wrong colours). It also follows a choice made in another tab.
// views/theme-switch.js changes the choice.
(function () {
  'use strict';
  var KEY = 'listo-theme';

  function apply(value) {
    var root = document.documentElement;
    if (value === 'light' || value === 'dark') root.setAttribute('data-theme', value);
    else root.removeAttribute('data-theme');
  }

  try {
    apply(window.localStorage.getItem(KEY));
  } catch (e) {
    // Storage is off: follow the system.
  }
  window.addEventListener('storage', function (event) {
    if (event.key === KEY || event.key === null) apply(event.newValue);
  });
})();
