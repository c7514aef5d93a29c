// Devices (#/devices): every session of the user, with a way to log out one
// of them, all the others, or this one.
// Hooks: #devices, .device (data-id, .current), .revoke, #logout-others, #logout.

import { api, logout, errorMessage } from '../api.js';
import { h, errorBlock, loadingBlock } from '../dom.js';
import { icon } from '../icons.js';
import { announce, announceError } from '../notify.js';
import { formatDateTime, parseUserAgent, plural, relativeTime } from '../format.js';
import { onLive } from '../live.js';

// How a session logged in, from its amr (RFC 8176 values).
function signedInWith(amr = []) {
  const has = (m) => amr.includes(m);
  const passkey = has('hwk') || has('swk');
  if (has('pwd') && has('otp')) return 'Password and a one-time code';
  if (has('pwd') && passkey) return 'Password and a passkey';
  if (passkey) return 'Passkey';
  return 'Password';
}

function timeEl(iso, text) {
  return h('time', { datetime: iso, title: formatDateTime(iso) }, text);
}

/** Mounts the devices screen. */
export function mountDevices(root, ctx) {
  let sessions = [];
  let dead = false;

  const listWrap = h('div', { class: 'device-list-wrap', 'aria-live': 'polite' });
  const logoutOthers = h('button', { type: 'button', id: 'logout-others', class: 'button', disabled: true }, icon('users', { size: 18 }), 'Log out everywhere else');
  const logoutHere = h('button', { type: 'button', id: 'logout', class: 'button danger-quiet' }, icon('logout', { size: 18 }), 'Log out');
  const page = h(
    'section',
    { id: 'devices', class: 'page', 'aria-labelledby': 'devices-title' },
    h(
      'header',
      { class: 'page-header' },
      h('h1', { id: 'devices-title', tabindex: '-1' }, 'Devices'),
      h('p', { class: 'lead' }, 'Everywhere you are logged in. If you see a device you don’t recognise, log it out and change your password.'),
    ),
    h('div', { class: 'card' }, listWrap),
    h('div', { class: 'page-actions' }, logoutOthers, logoutHere),
  );
  root.append(page);

  function deviceItem(s) {
    const ua = parseUserAgent(s.user_agent);
    const name = (s.device || '').trim() || ua.label || 'Unnamed device';
    const revoke = s.current
      ? null
      : h('button', { type: 'button', class: 'button small revoke', 'aria-label': `Log out ${name}` }, 'Log out');
    if (revoke) revoke.addEventListener('click', () => revokeSession(s, revoke, name));
    const browser = ua.browser ? `${ua.browser}${ua.version ? ` ${ua.version}` : ''}${ua.os ? ` on ${ua.os}` : ''}` : ua.label;
    return h(
      'li',
      { class: ['device', s.current && 'current'], dataset: { id: s.id, current: s.current ? 'true' : 'false' } },
      h('span', { class: 'device-icon' }, icon(ua.mobile ? 'phone' : 'monitor', { size: 24 })),
      h(
        'div',
        { class: 'device-main' },
        h('p', { class: 'device-title' }, h('span', { class: 'device-name' }, name), s.current ? h('span', { class: 'badge current-badge' }, 'This device') : null),
        h(
          'dl',
          { class: 'device-meta' },
          h('div', {}, h('dt', {}, 'Browser'), h('dd', { class: 'device-browser' }, browser || 'Unknown')),
          h('div', {}, h('dt', {}, 'IP address'), h('dd', { class: 'device-ip' }, s.ip || 'Unknown')),
          h('div', {}, h('dt', {}, 'Last used'), h('dd', { class: 'device-last-used' }, s.current ? 'Now' : timeEl(s.last_used_at, relativeTime(s.last_used_at) || 'Unknown'))),
          h('div', {}, h('dt', {}, 'Logged in'), h('dd', { class: 'device-created' }, timeEl(s.created_at, formatDateTime(s.created_at) || 'Unknown'))),
          h('div', {}, h('dt', {}, 'Logged in with'), h('dd', { class: 'device-amr' }, signedInWith(s.amr))),
        ),
      ),
      revoke ? h('div', { class: 'device-actions' }, revoke) : null,
    );
  }

  function render() {
    if (dead) return;
    const others = sessions.filter((s) => !s.current).length;
    logoutOthers.disabled = others === 0;
    const parts = [
      h('p', { class: 'list-summary' }, `${plural(sessions.length, 'device')}`),
      h('ul', { class: 'device-list' }, sessions.map(deviceItem)),
    ];
    if (others === 0) parts.push(h('p', { class: 'muted device-alone' }, 'This is the only device where you are logged in.'));
    listWrap.replaceChildren(...parts);
  }

  async function load() {
    listWrap.replaceChildren(loadingBlock('Loading your devices…'));
    try {
      const res = await api.get('/user/sessions');
      if (dead) return;
      sessions = ((res && res.items) || []).slice().sort((a, b) => {
        if (a.current !== b.current) return a.current ? -1 : 1;
        return (Date.parse(b.last_used_at) || 0) - (Date.parse(a.last_used_at) || 0);
      });
      render();
    } catch (err) {
      if (dead || err.unauthenticated) return;
      listWrap.replaceChildren(errorBlock(`Couldn't load your devices. ${errorMessage(err)}`, load));
    }
  }

  async function revokeSession(s, button, name) {
    button.disabled = true;
    button.textContent = 'Logging out…';
    try {
      await api.del(`/user/sessions/${encodeURIComponent(s.id)}`);
      announce(`Logged out ${name}.`);
    } catch (err) {
      if (err.unauthenticated) return;
      if (err.status !== 404) announceError(`Couldn't log out ${name}. ${errorMessage(err)}`);
    }
    if (dead) return;
    sessions = sessions.filter((x) => x.id !== s.id);
    render();
    const next = page.querySelector('.revoke') || logoutHere;
    next.focus();
    load();
  }

  logoutOthers.addEventListener('click', async () => {
    logoutOthers.disabled = true;
    try {
      await logout('others');
      const n = sessions.filter((s) => !s.current).length;
      announce(`Logged out ${plural(n, 'other device')}.`);
      await load();
      logoutHere.focus();
    } catch (err) {
      announceError(err);
      logoutOthers.disabled = false;
    }
  });

  logoutHere.addEventListener('click', () => ctx.logout());

  load();
  // A device logged out elsewhere: the list follows (live.js).
  const offLive = [onLive('session.revoked', () => load()), onLive('resync', () => load())];

  return {
    unmount() {
      dead = true;
      for (const off of offLive) off();
    },
  };
}
