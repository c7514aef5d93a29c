// Import on the todo list: a file picker for Listo's export (Download my
// data) or a TodoMVC localStorage list ([{title, completed}, …]); after a
// confirmation naming how many todos the file holds, POST /todos/import
// adds them after the list's own, all or none, through the screen's queue
// of changes, and the list reloads.
// Hooks: .todo-tools, #import-todos, #import-file.

import { api, errorMessage } from '../../api.js';
import { h, confirmDialog } from '../../dom.js';
import { icon } from '../../icons.js';
import { announce, announceError } from '../../notify.js';
import { plural } from '../../format.js';
import { enqueue, syncAll } from './store.js';

// The server's limits (POST /todos/import).
const MAX_BYTES = 5 * 1024 * 1024;
const MAX_TODOS = 10000;

// The todos of a parsed file, or null when it is neither form.
function todosOf(data) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object' && data.format === 'listo-export' && Array.isArray(data.todos)) return data.todos;
  return null;
}

// "/todos/3/title" or "/3/title" → "todo 4 (title)".
function where(field) {
  const m = /^(?:\/todos)?\/(\d+)(?:\/(\w+))?/.exec(field || '');
  if (!m) return '';
  return `todo ${Number(m[1]) + 1}${m[2] ? ` (${m[2]})` : ''}`;
}

// A refused import, in words: the problem's detail and its first few
// fields.
function refusal(err) {
  const fields = err.fieldErrors || [];
  if (err.status !== 422 || fields.length === 0) return `Nothing was imported. ${errorMessage(err)}`;
  const shown = fields.slice(0, 3).map((fe) => `${where(fe.field) || fe.field}: ${fe.message}`);
  const more = fields.length > 3 ? `, and ${plural(fields.length - 3, 'more problem')}` : '';
  return `Nothing was imported: ${shown.join('; ')}${more}.`;
}

async function readFile(file) {
  if (file.size > MAX_BYTES) throw new Error(`${file.name} is larger than 5 MB, the most one import takes.`);
  const text = await file.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${file.name} is not a JSON file.`);
  }
  const todos = todosOf(data);
  if (!todos) throw new Error(`${file.name} is neither a Listo export nor a TodoMVC list.`);
  if (todos.length > MAX_TODOS) throw new Error(`${file.name} holds ${todos.length} todos; one import takes at most ${MAX_TODOS}.`);
  return { data, count: todos.length };
}

/** Adds the Import button to the todo screen of view. */
export function wireImport(view) {
  const input = h('input', { type: 'file', id: 'import-file', accept: '.json,application/json', hidden: true, tabindex: '-1', 'aria-hidden': 'true' });
  const button = h('button', { type: 'button', id: 'import-todos', class: 'button small' }, icon('list', { size: 16 }), 'Import…');
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    let parsed;
    try {
      parsed = await readFile(file);
    } catch (err) {
      announceError(err.message);
      return;
    }
    if (parsed.count === 0) {
      announce(`${file.name} holds no todos.`);
      return;
    }
    const ok = await confirmDialog({
      title: `Import ${plural(parsed.count, 'todo')}?`,
      message: `The todos of ${file.name} go after your own, as they are. Nothing is imported if one of them is not valid.`,
      confirmLabel: 'Import',
    });
    if (!ok || view.dead) return;
    button.disabled = true;
    enqueue(view, async () => {
      try {
        const res = await api.post('/todos/import', parsed.data);
        const n = res && typeof res.imported === 'number' ? res.imported : parsed.count;
        announce(`Imported ${plural(n, 'todo')}.`);
      } catch (err) {
        if (!err.unauthenticated) announceError(refusal(err));
      } finally {
        button.disabled = false;
      }
      await syncAll(view);
    });
  });
  const tools = h('div', { class: 'todo-tools' }, button, input);
  view.dom.section.after(tools);
}
