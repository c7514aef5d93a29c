// Dates, plurals and user agents, formatted for people.

/** "1 item" / "2 items". */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Today (or d) as YYYY-MM-DD in the browser's time zone. */
export function localDateString(d = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * The calendar date (YYYY-MM-DD) of a todo's due value. The app sends due
 * dates as midnight UTC of the chosen day, so the date is read as written,
 * not converted to local time (which would show the day before west of UTC).
 */
export function dueDate(due) {
  if (typeof due !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(due);
  return m ? m[1] : null;
}

/** The API value for a date input's value: RFC 3339 midnight UTC, or null. */
export function dueToAPI(value) {
  return value ? `${value}T00:00:00Z` : null;
}

/** "1 Dec" (or "1 Dec 2027" when not this year); long adds the weekday. */
export function formatDay(ymd, { long = false } = {}) {
  const [y, m, d] = ymd.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  const options = long
    ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }
    : { day: 'numeric', month: 'short', timeZone: 'UTC' };
  if (!long && y !== new Date().getFullYear()) options.year = 'numeric';
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

/**
 * Describes a due date: {ymd, state, text, title}; state is "overdue",
 * "today", "soon" (tomorrow), "later" or "past" (done and past due).
 */
export function describeDue(due, completed) {
  const ymd = dueDate(due);
  if (!ymd) return null;
  const now = new Date();
  const today = localDateString(now);
  const tomorrow = localDateString(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1));
  const pretty = formatDay(ymd);
  let state = 'later';
  let text = `Due ${pretty}`;
  if (ymd < today) {
    state = completed ? 'past' : 'overdue';
    text = completed ? `Was due ${pretty}` : `Overdue · ${pretty}`;
  } else if (ymd === today) {
    state = 'today';
    text = 'Due today';
  } else if (ymd === tomorrow) {
    state = 'soon';
    text = 'Due tomorrow';
  }
  return { ymd, state, text, title: formatDay(ymd, { long: true }) };
}

/** A date and time in the browser's locale, or "" for an invalid value. */
export function formatDateTime(iso) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(t);
}

/** A date in the browser's locale, or "". */
export function formatDate(iso) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(t);
}

const UNITS = [
  ['year', 31557600],
  ['month', 2629800],
  ['week', 604800],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
];

/** "just now", "5 minutes ago", "in 3 days". */
export function relativeTime(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const seconds = (t - now) / 1000;
  if (Math.abs(seconds) < 45) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'minute') return rtf.format(Math.round(seconds / size), unit);
  }
  return '';
}

const BROWSERS = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/OPR\/(\d+)/, 'Opera'],
  [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/Vivaldi\/(\d+)/, 'Vivaldi'],
  [/YaBrowser\/(\d+)/, 'Yandex Browser'],
  [/HeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/(?:Chrome|CriOS|Chromium)\/(\d+)/, 'Chrome'],
  [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/Version\/(\d+)[\d.]*.*Safari\//, 'Safari'],
  [/curl\/(\d+)/, 'curl'],
  [/Go-http-client\/(\d+)/, 'Go HTTP client'],
  [/PostmanRuntime\/(\d+)/, 'Postman'],
];

const SYSTEMS = [
  [/Windows NT/, 'Windows'],
  [/iPhone|iPod/, 'iOS'],
  [/iPad/, 'iPadOS'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Macintosh|Mac OS X/, 'macOS'],
  [/FreeBSD|OpenBSD|NetBSD/, 'BSD'],
  [/Linux|X11/, 'Linux'],
];

/** {browser, version, os, mobile, label} from a User-Agent string. */
export function parseUserAgent(ua) {
  const s = String(ua || '');
  let browser = '';
  let version = '';
  for (const [re, name] of BROWSERS) {
    const m = re.exec(s);
    if (m) {
      browser = name;
      version = m[1];
      break;
    }
  }
  let os = '';
  for (const [re, name] of SYSTEMS) {
    if (re.test(s)) {
      os = name;
      break;
    }
  }
  const mobile = /Mobi|iPhone|iPod|Android(?!.*Tablet)/.test(s);
  const label = browser && os ? `${browser} on ${os}` : browser || os || 'Unknown browser';
  return { browser, version, os, mobile, label };
}

/** A device name for this browser, e.g. "Chrome on Linux". */
export function defaultDeviceName() {
  return parseUserAgent(navigator.userAgent).label.slice(0, 100);
}
