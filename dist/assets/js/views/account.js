// Account (#/account): change name, email and password, two-step
// verification (account/two-step.js) and passkeys (account/passkeys.js),
// API tokens (account/tokens.js), download my data (account/export.js),
// pick the colour theme (theme-switch.js); delete the account.
// A new address takes effect once the link mailed there is followed; until
// then the email card shows the pending change.
// Hooks: #account, #profile-form, #email-form, #email-pending,
// #password-form, #delete-account-form.

import { api, forgetSession } from '../api.js';
import { h, confirmDialog, initials } from '../dom.js';
import { icon } from '../icons.js';
import { announce } from '../notify.js';
import { field, formValues, setFieldError, showFormErrors, showFormSuccess, withBusy, clearFormErrors } from '../forms.js';
import { formatDate } from '../format.js';
import { themeCard } from './theme-switch.js';
import { tokensCard } from './account/tokens.js';
import { exportCard } from './account/export.js';
import { twoStepCard } from './account/two-step.js';
import { passkeysCard } from './account/passkeys.js';

function card({ id, title, description, danger = false }, ...body) {
  return h(
    'section',
    { class: ['card', 'settings-card', danger && 'danger-card'], 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title`, class: 'card-title' }, title),
    description ? h('p', { class: 'card-description' }, description) : null,
    body,
  );
}

function actions(label, { danger = false } = {}) {
  return h(
    'div',
    { class: 'form-actions' },
    h('button', { type: 'submit', class: `button ${danger ? 'danger' : 'primary'}` }, label),
    h('p', { class: 'form-success', role: 'status' }),
  );
}

/** Mounts the account screen. */
export function mountAccount(root, ctx) {
  const summaryName = h('p', { class: 'summary-name' });
  const summaryEmail = h('p', { class: 'summary-email' });
  const avatar = h('span', { class: 'avatar large', 'aria-hidden': 'true' });
  const roleBadge = h('span', { class: 'badge' });
  const since = h('p', { class: 'muted summary-since' });
  const unverified = h('span', { class: 'badge badge-warning', id: 'email-unverified' }, 'Email not confirmed');
  const pendingText = h('p', {});
  const pending = h('div', { id: 'email-pending', class: 'notice', role: 'status' }, icon('mail', { size: 18 }), pendingText);

  function renderSummary() {
    const u = ctx.user;
    avatar.textContent = initials(u.name, u.email);
    summaryName.textContent = u.name || 'No name yet';
    summaryEmail.textContent = u.email;
    roleBadge.textContent = u.role === 'admin' ? 'Admin' : 'Member';
    roleBadge.className = `badge ${u.role === 'admin' ? 'badge-accent' : ''}`;
    since.textContent = u.created_at ? `Member since ${formatDate(u.created_at)}` : '';
    unverified.hidden = u.email_verified !== false;
    pending.hidden = !u.pending_email;
    pendingText.textContent = u.pending_email ? `Waiting for confirmation of ${u.pending_email}: follow the link we sent there.` : '';
  }

  // Name
  const profileForm = h(
    'form',
    { id: 'profile-form', class: 'form', novalidate: true },
    field({ id: 'profile-name', name: 'name', label: 'Name', autocomplete: 'name', value: ctx.user.name || '', maxlength: 100 }),
    actions('Save name'),
  );
  profileForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(profileForm);
    const name = formValues(profileForm).name.trim();
    await withBusy(profileForm, 'Saving…', async () => {
      try {
        const user = await api.patch('/user', { name });
        ctx.setUser(user);
        renderSummary();
        showFormSuccess(profileForm, 'Saved.');
        announce('Your name was saved.');
      } catch (err) {
        showFormErrors(profileForm, err);
      }
    });
  });

  // Email
  const emailForm = h(
    'form',
    { id: 'email-form', class: 'form', novalidate: true },
    field({ id: 'account-email', name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true, value: ctx.user.email, inputmode: 'email' }),
    field({ id: 'email-current-password', name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true, reveal: true }),
    actions('Change email'),
  );
  emailForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(emailForm);
    const v = formValues(emailForm);
    await withBusy(emailForm, 'Saving…', async () => {
      try {
        const user = await api.patch('/user', { email: v.email.trim(), current_password: v.current_password });
        ctx.setUser(user);
        renderSummary();
        emailForm.elements.namedItem('current_password').value = '';
        emailForm.elements.namedItem('email').value = user.email;
        if (user.pending_email) {
          // Nothing changes until the link mailed to the new address is followed.
          showFormSuccess(emailForm, `Link sent to ${user.pending_email}.`);
          announce(`We sent a link to ${user.pending_email}. Your address changes once you follow it.`);
        } else {
          showFormSuccess(emailForm, 'Email changed.');
          announce(`Your email is now ${user.email}.`);
        }
      } catch (err) {
        showFormErrors(emailForm, err, { fallbackField: 'current_password', fallbackStatuses: [403] });
      }
    });
  });

  // Password
  const passwordForm = h(
    'form',
    { id: 'password-form', class: 'form', novalidate: true },
    // For password managers: which account this password belongs to.
    h('input', { type: 'email', name: 'username', autocomplete: 'username', value: ctx.user.email, hidden: true, readOnly: true, tabindex: '-1', 'aria-hidden': 'true' }),
    field({ id: 'password-current-password', name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true, reveal: true }),
    field({ id: 'new-password', name: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true, reveal: true, hint: 'At least 8 characters. Common passwords are not accepted.' }),
    field({ id: 'new-password-confirm', name: 'password_confirm', label: 'Repeat new password', type: 'password', autocomplete: 'new-password', required: true }),
    actions('Change password'),
  );
  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(passwordForm);
    const v = formValues(passwordForm);
    if (v.password !== v.password_confirm) {
      const control = passwordForm.elements.namedItem('password_confirm');
      setFieldError(control, 'The two new passwords are not the same.');
      control.focus();
      return;
    }
    await withBusy(passwordForm, 'Saving…', async () => {
      try {
        const user = await api.patch('/user', { password: v.password, current_password: v.current_password });
        if (user) ctx.setUser(user);
        for (const name of ['current_password', 'password', 'password_confirm']) passwordForm.elements.namedItem(name).value = '';
        showFormSuccess(passwordForm, 'Password changed.');
        announce('Your password was changed. Your other devices have been logged out.');
      } catch (err) {
        showFormErrors(passwordForm, err, { fallbackField: 'current_password', fallbackStatuses: [403] });
      }
    });
  });

  // Delete
  const deleteForm = h(
    'form',
    { id: 'delete-account-form', class: 'form', novalidate: true },
    field({ id: 'delete-password', name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true, reveal: true, hint: 'Enter your password to confirm it is you.' }),
    actions('Delete my account…', { danger: true }),
  );
  deleteForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(deleteForm);
    const v = formValues(deleteForm);
    if (!v.password) {
      const control = deleteForm.elements.namedItem('password');
      setFieldError(control, 'Enter your password to delete your account.');
      control.focus();
      return;
    }
    const ok = await confirmDialog({
      title: 'Delete your account?',
      message: `This permanently deletes ${ctx.user.email}, all of its todos, and logs out every device. This cannot be undone.`,
      confirmLabel: 'Delete account',
      cancelLabel: 'Keep my account',
      danger: true,
    });
    if (!ok) return;
    await withBusy(deleteForm, 'Deleting…', async () => {
      try {
        await api.del('/user', { body: { password: v.password } });
        forgetSession();
        ctx.signOut('Your account has been deleted. Thank you for using Listo.');
      } catch (err) {
        showFormErrors(deleteForm, err, { fallbackField: 'password', fallbackStatuses: [403] });
      }
    });
  });

  renderSummary();
  const twoStep = twoStepCard();
  root.append(
    h(
      'section',
      { id: 'account', class: 'page', 'aria-labelledby': 'account-title' },
      h('header', { class: 'page-header' }, h('h1', { id: 'account-title', tabindex: '-1' }, 'Account'), h('p', { class: 'lead' }, 'Your profile, sign-in details and data.')),
      h('div', { class: 'card summary-card' }, avatar, h('div', { class: 'summary-text' }, h('div', { class: 'summary-line' }, summaryName, roleBadge, unverified), summaryEmail, since)),
      card({ id: 'profile', title: 'Name', description: 'How Listo greets you.' }, profileForm),
      card({ id: 'email', title: 'Email', description: 'You log in with this address. Changing it needs your current password, and we mail a link to the new address to confirm it.' }, pending, emailForm),
      card({ id: 'password', title: 'Password', description: 'Changing your password logs you out on every other device.' }, passwordForm),
      twoStep.element,
      passkeysCard({ onChange: twoStep.reload }),
      tokensCard(),
      exportCard(),
      themeCard(),
      card(
        { id: 'delete', title: 'Delete account', description: 'Deletes your account and all your todos, and logs out every device. This cannot be undone.', danger: true },
        h('div', { class: 'danger-note' }, icon('alert', { size: 18 }), h('p', {}, 'There is no way to get your data back afterwards.')),
        deleteForm,
      ),
    ),
  );

  return {};
}
