// Live sync: one EventSource on GET /events per tab while signed in, the
// screens' subscriptions to its events, and the status dot in the top bar
// ("Live" or "Reconnecting…").
//
// The browser reconnects by itself when a stream ends (the server ends it
// when the access token expires, among others) and sends Last-Event-ID, so
// the events missed meanwhile come first. When the server refuses the
// reconnection (401 once the access cookie has expired), the stream is
// closed for good: a GET /user refreshes the session (or reports it gone,
// and main.js shows the login screen), and a new EventSource resumes with
// ?last_event_id=. A stream with nothing to resume from sends "resync" to
// the screens when it opens: they reload, since what happened before is
// unknown.
//
// Events: todo.created, todo.updated, todo.deleted, todos.changed,
// user.updated, session.revoked, resync (see the README's /events).

import { api } from './api.js';
import { h } from './dom.js';

const NAMES = ['todo.created', 'todo.updated', 'todo.deleted', 'todos.changed', 'user.updated', 'session.revoked', 'resync'];

const listeners = new Map(NAMES.map((n) => [n, new Set()]));
let wanted = false; // signed in: a stream should be open
let source = null;
let lastId = null; // the id of the last event received
let failures = 0;
let retryTimer = null;
let status = null; // the status element, while signed in

/** Subscribes fn(data) to the live event name; returns the unsubscribe function. */
export function onLive(name, fn) {
  listeners.get(name).add(fn);
  return () => listeners.get(name).delete(fn);
}

function emit(name, data) {
  for (const fn of listeners.get(name)) {
    try {
      fn(data);
    } catch (err) {
      console.error(err);
    }
  }
}

/** Opens the stream when signedIn, closes it otherwise; idempotent. */
export function setSignedIn(signedIn) {
  if (signedIn === wanted) return;
  wanted = signedIn;
  if (signedIn) {
    showStatus('reconnecting');
    open();
    return;
  }
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  lastId = null;
  failures = 0;
  if (status) status.remove();
  status = null;
}

function open() {
  if (!wanted || source) return;
  const fresh = !lastId;
  const es = new EventSource(fresh ? '/events' : `/events?last_event_id=${encodeURIComponent(lastId)}`);
  source = es;
  es.addEventListener('open', () => {
    if (source !== es) return;
    failures = 0;
    showStatus('live');
    if (fresh && !lastId) emit('resync', {});
  });
  for (const name of NAMES) {
    es.addEventListener(name, (event) => {
      if (source !== es) return;
      if (event.lastEventId) lastId = event.lastEventId;
      let data = {};
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      emit(name, data);
    });
  }
  es.addEventListener('error', () => {
    if (source !== es) return;
    showStatus('reconnecting');
    // CONNECTING: the browser retries by itself, with Last-Event-ID.
    if (es.readyState !== EventSource.CLOSED) return;
    // CLOSED: the server refused (401: the access token expired; 503:
    // too many streams). Refresh the session, then open a new stream.
    es.close();
    source = null;
    reconnect();
  });
}

async function reconnect() {
  failures += 1;
  try {
    await api.get('/user');
  } catch (err) {
    if (err.unauthenticated) return; // main.js shows the login screen
  }
  if (!wanted) return;
  const delay = failures === 1 ? 0 : Math.min(30000, 1000 * 2 ** Math.min(failures, 5));
  retryTimer = setTimeout(open, delay);
}

// A session was revoked: if it was this one, the GET fails, the refresh
// too, and main.js shows the login screen at once.
onLive('session.revoked', () => {
  api.get('/user').catch(() => {});
});

function showStatus(state) {
  if (!status) {
    const menu = document.querySelector('.user-menu');
    if (!menu) return;
    status = h('span', { class: 'live-status', id: 'live-status' }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { class: 'visually-hidden live-text' }));
    menu.prepend(status);
  }
  const live = state === 'live';
  status.dataset.state = state;
  status.title = live ? 'Live: changes made on your other devices show here at once' : 'Reconnecting to live updates…';
  status.querySelector('.live-text').textContent = live ? 'Live updates on' : 'Live updates reconnecting';
}
