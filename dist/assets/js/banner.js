// The banner under the top bar for a signed-in user whose address is not
// confirmed yet (email_verified false), with a button that mails a new
// link. Hooks: #verify-banner, #verify-banner-resend.

import { h } from './dom.js';
import { icon } from './icons.js';
import { resendControl } from './resend.js';

/** Creates the (hidden) banner after anchor; returns {update(user)}. */
export function createVerifyBanner(anchor) {
  let email = '';
  const address = h('strong', { class: 'banner-email' });
  const [button, status] = resendControl({ id: 'verify-banner-resend', email: () => email });
  const banner = h(
    'div',
    { id: 'verify-banner', class: 'banner', role: 'region', 'aria-label': 'Confirm your email address', hidden: true },
    h(
      'div',
      { class: 'banner-inner' },
      icon('mail', { size: 20 }),
      h('p', { class: 'banner-text' }, 'Please confirm your address ', address, ': follow the link we sent there.'),
      h('div', { class: 'banner-actions' }, button, status),
    ),
  );
  anchor.after(banner);

  return {
    /** Shows the banner when user's address is not confirmed, hides it otherwise. */
    update(user) {
      const show = Boolean(user) && user.email_verified === false;
      if (show && user.email !== email) status.textContent = '';
      email = show ? user.email : '';
      address.textContent = email;
      banner.hidden = !show;
    },
  };
}
