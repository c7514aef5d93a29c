// The account screen's "Your data" card: "Download my data" saves GET
// /user/export (the account, its devices and every todo, as JSON) under
// the name the server gives it. The todo list's Import takes the file
// back (todos/import.js).
// Hooks: #your-data, #download-data.

import { api } from '../../api.js';
import { h } from '../../dom.js';
import { icon } from '../../icons.js';
import { announce, announceError } from '../../notify.js';
import { localDateString } from '../../format.js';

// The file name of a Content-Disposition header, or a dated default.
function fileName(res) {
  const m = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
  return m ? m[1] : `listo-export-${localDateString()}.json`;
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** The card. */
export function exportCard() {
  const button = h('button', { type: 'button', class: 'button', id: 'download-data' }, icon('note', { size: 18 }), 'Download my data');
  const label = [...button.childNodes];
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.replaceChildren('Preparing…');
    try {
      // raw: the answer is a file to save as it is, not to parse.
      const res = await api.get('/user/export', { raw: true });
      const name = fileName(res);
      save(await res.blob(), name);
      announce(`Your data was saved as ${name}.`);
    } catch (err) {
      announceError(err);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.replaceChildren(...label);
    }
  });
  return h(
    'section',
    { id: 'your-data', class: 'card settings-card', 'aria-labelledby': 'your-data-title' },
    h('h2', { id: 'your-data-title', class: 'card-title' }, 'Your data'),
    h(
      'p',
      { class: 'card-description' },
      'Download everything Listo keeps about you (your account, your devices and all your todos) as a JSON file. Import on the todo list adds the todos of such a file, or of a TodoMVC list, to your own.',
    ),
    h('div', { class: 'form-actions' }, button),
  );
}
