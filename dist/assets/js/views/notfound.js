// A route the app doesn't know (e.g. #/nope).

import { h } from '../dom.js';
import { icon } from '../icons.js';

/** Mounts the not-found screen. */
export function mountNotFound(root, ctx) {
  root.append(
    h(
      'section',
      { id: 'not-found', class: 'page', 'aria-labelledby': 'not-found-title' },
      h(
        'div',
        { class: 'card empty-state' },
        icon('search', { size: 40 }),
        h('h1', { id: 'not-found-title', class: 'empty-title', tabindex: '-1' }, 'Page not found'),
        h('p', {}, 'There is nothing at this address.'),
        h('p', {}, h('a', { href: '#/', class: 'button primary' }, ctx.user ? 'Back to your todos' : 'Go to Listo')),
      ),
    ),
  );
  return {};
}
