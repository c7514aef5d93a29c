// Hash router. The three TodoMVC filters keep their exact hashes (#/,
// #/active, #/completed); the other screens live beside them. A route may
// carry a query after "?" (e.g. #/admin?q=bob&page=2). Public routes are for
// signed-out people only; open routes (the mailed links, forgot password)
// for anyone, signed in or not.

const ROUTES = {
  '/': { name: 'todos', filter: 'all', title: 'Todos' },
  '/active': { name: 'todos', filter: 'active', title: 'Active todos' },
  '/completed': { name: 'todos', filter: 'completed', title: 'Completed todos' },
  '/login': { name: 'login', public: true, title: 'Log in' },
  '/signup': { name: 'signup', public: true, title: 'Sign up' },
  '/forgot-password': { name: 'forgot', open: true, title: 'Forgot password' },
  '/reset-password': { name: 'reset', open: true, title: 'Set a new password' },
  '/verify-email': { name: 'verify', open: true, title: 'Confirm your email address' },
  '/confirm-email': { name: 'confirm', open: true, title: 'Confirm your new address' },
  '/devices': { name: 'devices', title: 'Devices' },
  '/account': { name: 'account', title: 'Account' },
  '/admin': { name: 'admin', title: 'Users' },
};

/** Parses a location hash into {name, path, query, filter?, public?, open?, title}. */
export function parseHash(hash = window.location.hash) {
  const raw = String(hash || '').replace(/^#/, '');
  const q = raw.indexOf('?');
  let path = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  if (path === '') path = '/';
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const route = ROUTES[path];
  if (route) return { ...route, path, query, hash: `#${raw || '/'}` };
  return { name: 'notfound', path, query, title: 'Page not found', hash: `#${raw}` };
}

/** Builds a hash for path with the non-empty entries of query. */
export function hashFor(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

let handler = null;

function dispatch() {
  if (handler) handler(parseHash());
}

/** Calls onRoute now and on every hash change. */
export function startRouter(onRoute) {
  handler = onRoute;
  window.addEventListener('hashchange', dispatch);
  dispatch();
}

function sameHash(a, b) {
  const norm = (h) => (h === '' || h === '#' ? '#/' : h);
  return norm(a) === norm(b);
}

/**
 * Goes to hash. With replace, the current history entry is replaced (no new
 * back-button step). Navigating to the current hash re-runs the route.
 */
export function navigate(hash, { replace = false } = {}) {
  if (sameHash(window.location.hash, hash)) {
    dispatch();
    return;
  }
  if (replace) {
    window.history.replaceState(window.history.state, '', hash);
    dispatch();
  } else {
    window.location.hash = hash;
  }
}
