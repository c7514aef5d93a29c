// Entry point: decides whether the user is signed in (GET /user, refreshing
// once on 401), then routes between the screens and keeps the top bar (and
// the banner for an unconfirmed address) in step with the user. A mailed
// link's token leaves the address bar first of all (linktoken.js).

import { api, on, logout as apiLogout, forgetSession, errorMessage } from './api.js';
import { startRouter, navigate, parseHash } from './router.js';
import { clear, h } from './dom.js';
import { announceError, setupToasts } from './notify.js';
import { watchLinkTokens } from './linktoken.js';
import { onLive, setSignedIn } from './live.js';
import { createVerifyBanner } from './banner.js';
import { mountLogin, mountSignup } from './views/auth.js';
import { mountForgotPassword } from './views/forgot.js';
import { mountResetPassword } from './views/reset.js';
import { mountVerifyEmail } from './views/verify-email.js';
import { mountConfirmEmail } from './views/confirm-email.js';
import { mountTodos } from './views/todos.js';
import { mountDevices } from './views/devices.js';
import { mountAccount } from './views/account.js';
import { mountAdmin } from './views/admin.js';
import { mountNotFound } from './views/notfound.js';

watchLinkTokens();

const VIEWS = {
  todos: mountTodos,
  login: mountLogin,
  signup: mountSignup,
  forgot: mountForgotPassword,
  reset: mountResetPassword,
  verify: mountVerifyEmail,
  confirm: mountConfirmEmail,
  devices: mountDevices,
  account: mountAccount,
  admin: mountAdmin,
  notfound: mountNotFound,
};

const viewRoot = document.getElementById('view');
const topbar = document.getElementById('topbar');
const userName = document.getElementById('user-name');
const adminItem = document.getElementById('nav-admin-item');
const logoutButton = document.getElementById('nav-logout');
const banner = createVerifyBanner(topbar);

let current = null; // {name, view}
let booted = false;
let notice = null; // shown once on the login screen
let nextHash = null; // where to go after logging in

const ctx = {
  user: null,

  /** Replaces the signed-in user (after PATCH /user and the like). */
  setUser(user) {
    ctx.user = user;
    renderShell();
  },

  /** Forgets the user here, staying on this screen (after a password reset ended every session). */
  forgetUser() {
    if (!ctx.user) return;
    ctx.user = null;
    forgetSession();
    renderShell();
  },

  /** Called by the login and sign-up screens with the user. */
  signIn(user) {
    ctx.user = user;
    const target = nextHash && !parseHash(nextHash).public ? nextHash : '#/';
    nextHash = null;
    renderShell();
    navigate(target, { replace: true });
  },

  /** Forgets the user and shows the login screen with message. */
  signOut(message) {
    ctx.user = null;
    forgetSession();
    notice = message || null;
    nextHash = null;
    renderShell();
    navigate('#/login', { replace: true });
  },

  /** Logs out this session. */
  async logout() {
    try {
      await apiLogout();
    } catch (err) {
      // A session that has already ended is as good as logged out.
      if (!err.unauthenticated && err.status !== 401) {
        announceError(`Couldn't log out. ${errorMessage(err)}`);
        return;
      }
    }
    ctx.signOut('You have logged out.');
  },

  /** A message for the login screen, once. */
  takeNotice() {
    const n = notice;
    notice = null;
    return n;
  },

  setNotice(message) {
    notice = message;
  },

  navigate,
};

function renderShell(route) {
  const user = ctx.user;
  setSignedIn(Boolean(user));
  topbar.hidden = !user;
  document.body.classList.toggle('signed-in', Boolean(user));
  if (user) {
    userName.textContent = user.name || user.email;
    userName.title = user.email;
    adminItem.hidden = user.role !== 'admin';
  }
  banner.update(user);
  const name = (route || (current && current.route) || {}).name;
  for (const a of topbar.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function render(route) {
  if (!booted) return;
  if (!route.public && !route.open && route.name !== 'notfound' && !ctx.user) {
    nextHash = route.hash;
    navigate('#/login', { replace: true });
    return;
  }
  if (route.public && ctx.user) {
    navigate('#/', { replace: true });
    return;
  }
  document.title = `${route.title} · Listo`;
  document.body.dataset.route = route.name;
  if (current && current.name === route.name && current.view.update && current.view.update(route) !== false) {
    current.route = route;
    renderShell(route);
    return;
  }
  if (current && current.view.unmount) current.view.unmount();
  clear(viewRoot);
  const mount = VIEWS[route.name] || mountNotFound;
  const view = mount(viewRoot, ctx, route) || {};
  current = { name: route.name, view, route };
  renderShell(route);
  // Move focus into the new screen so keyboard and screen-reader users
  // start there.
  if (view.focus) view.focus();
  else {
    const heading = viewRoot.querySelector('h1');
    if (heading) heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

function showBootError(err) {
  clear(viewRoot);
  viewRoot.append(
    h(
      'section',
      { class: 'page boot-error', 'aria-labelledby': 'boot-error-title' },
      h(
        'div',
        { class: 'card empty-state' },
        h('h1', { id: 'boot-error-title', class: 'empty-title', tabindex: '-1' }, "Listo can't start right now"),
        h('p', {}, errorMessage(err)),
        h('p', {}, h('button', { type: 'button', class: 'button primary', onclick: boot }, 'Try again')),
      ),
    ),
  );
  viewRoot.querySelector('h1').focus();
}

async function boot() {
  clear(viewRoot);
  viewRoot.append(h('div', { class: 'boot' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('p', {}, 'Loading Listo…')));
  try {
    ctx.user = await api.get('/user');
  } catch (err) {
    if (!err.unauthenticated && err.status !== 401) {
      showBootError(err);
      return;
    }
    ctx.user = null;
  }
  renderShell();
  if (!booted) {
    booted = true;
    startRouter(render);
  } else {
    render(parseHash());
  }
}

// The session ended (revoked elsewhere, expired, account disabled): show the
// login screen, and come back here after logging in.
on('unauthenticated', () => {
  if (!ctx.user) return;
  const route = parseHash();
  ctx.user = null;
  // The open screens (the mailed links) work without a session: stay.
  if (route.open) {
    renderShell();
    return;
  }
  notice = 'Your session has ended. Please log in again.';
  nextHash = route.public ? null : route.hash;
  renderShell();
  navigate('#/login', { replace: true });
});

on('user', (user) => {
  if (ctx.user && user) {
    ctx.user = user;
    renderShell();
  }
});

// The account changed on another device (name, email, role).
onLive('user.updated', (user) => {
  if (ctx.user && user && user.id === ctx.user.id) {
    ctx.user = user;
    renderShell();
  }
});

logoutButton.addEventListener('click', async () => {
  logoutButton.disabled = true;
  try {
    await ctx.logout();
  } finally {
    logoutButton.disabled = false;
  }
});

// The skip link moves focus to the content without touching the hash
// (the hash is the router's).
document.getElementById('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  const target = document.getElementById('app-main');
  target.focus();
});

setupToasts();
boot();
