// The screens a mailed link opens that act at once (#/verify-email,
// #/confirm-email): take the link's token, post it, then show what
// happened. A screen gives its texts and three outcomes: done, invalid (no
// token, or the 400 invalid-token) and, optionally, failed for other
// answers it knows (e.g. 409); anything else offers to try again.

import { errorMessage, isInvalidToken } from '../api.js';
import { h, loadingBlock } from '../dom.js';
import { takeLinkToken } from '../linktoken.js';
import { authLayout, showOutcome } from './auth-layout.js';

export const INVALID_LINK = 'This link is not valid any more. It may have expired, been used already, or been copied incompletely.';

/**
 * Mounts a link screen. options: id, path (of the link), title, lead,
 * working (text while posting), post(token) → result, done(body, result),
 * invalid(body), failed(body, err) → true when it showed the error.
 */
export function mountLinkScreen(root, options) {
  const { id, path, title, lead, working, post, done, invalid, failed } = options;
  const token = takeLinkToken(path);
  const body = h('div', { class: 'auth-body' });
  let alive = true;

  async function run() {
    if (!token) {
      invalid(body);
      return;
    }
    body.replaceChildren(loadingBlock(working));
    body.setAttribute('aria-busy', 'true');
    let result;
    try {
      result = await post(token);
    } catch (err) {
      if (!alive) return;
      body.removeAttribute('aria-busy');
      if (isInvalidToken(err)) invalid(body);
      else if (!(failed && failed(body, err))) showRetry(err);
      return;
    }
    if (!alive) return;
    body.removeAttribute('aria-busy');
    done(body, result);
  }

  function showRetry(err) {
    const retry = h('button', { type: 'button', id: `${id}-retry`, class: 'button primary block' }, 'Try again');
    retry.addEventListener('click', run);
    showOutcome(body, { kind: 'error', id: `${id}-failed`, message: errorMessage(err), next: retry });
  }

  root.append(authLayout({ id, title, lead, form: body }));
  run();

  return {
    focus() {
      const target = body.querySelector('.outcome') || root.querySelector('h1');
      if (target) target.focus({ preventScroll: true });
    },
    unmount() {
      alive = false;
    },
  };
}
