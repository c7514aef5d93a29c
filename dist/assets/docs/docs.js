// The API reference (dist/docs.html): fetches the OpenAPI 3.1 document the
// server builds from its routes (/openapi.json) and renders its operations
// grouped by tag, with their parameters, request and response schemas,
// statuses and problem types. Built with DOM nodes only: no markup from
// strings, no inline styles (the CSP forbids them).

import { h } from '../js/dom.js';

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];
const REF = '#/components/schemas/';

const status = document.getElementById('docs-status');
const intro = document.getElementById('docs-intro');
const nav = document.getElementById('docs-nav');
const body = document.getElementById('docs-body');

main();

async function main() {
  let doc;
  try {
    const res = await fetch('/openapi.json', { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    doc = await res.json();
  } catch (err) {
    status.textContent = `The API document could not be loaded (${err.message}). Reload the page to try again.`;
    status.classList.add('docs-error');
    return;
  }
  render(doc);
  status.textContent = '';
  status.hidden = true;
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}

function render(doc) {
  document.title = `${doc.info.title} reference · Listo`;
  intro.append(
    h('p', { class: 'docs-version' }, `OpenAPI ${doc.openapi} · API version ${doc.info.version} · `,
      h('a', { href: '/openapi.json', type: 'application/json' }, 'download the document')),
    ...paragraphs(doc.info.description),
  );

  const byTag = groupByTag(doc);
  const navList = h('ul');
  for (const [tag, ops] of byTag) {
    const id = `tag-${slug(tag.name)}`;
    navList.append(h('li', {},
      h('a', { href: `#${id}`, class: 'docs-nav-tag' }, tag.name),
      h('ul', {}, ops.map((o) => h('li', {}, h('a', { href: `#${o.id}` },
        h('span', { class: `method method-${o.method}` }, o.method.toUpperCase()), ' ', o.path)))),
    ));
    body.append(h('section', { class: 'docs-tag', 'aria-labelledby': id },
      h('h2', { id }, tag.name),
      tag.description ? h('p', { class: 'muted' }, tag.description) : null,
      ops.map((o) => operation(doc, o)),
    ));
  }
  navList.append(h('li', {}, h('a', { href: '#schemas', class: 'docs-nav-tag' }, 'Schemas')));
  nav.append(h('h2', { class: 'visually-hidden' }, 'Operations'), navList);
  body.append(schemas(doc));
}

// groupByTag lists [tag, operations] in the document's tag order; a tag the
// document does not declare comes last.
function groupByTag(doc) {
  const tags = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const name = (op.tags && op.tags[0]) || 'Other';
      if (!tags.has(name)) tags.set(name, { tag: { name }, ops: [] });
      tags.get(name).ops.push({ path, method, op, id: op.operationId || slug(`${method} ${path}`) });
    }
  }
  const out = [];
  for (const { tag, ops } of tags.values()) {
    if (ops.length === 0) continue;
    ops.sort((a, b) => a.path.localeCompare(b.path) || METHODS.indexOf(a.method) - METHODS.indexOf(b.method));
    out.push([tag, ops]);
  }
  return out;
}

function operation(doc, { path, method, op, id }) {
  const responses = Object.entries(op.responses || {}).sort(([a], [b]) => a.localeCompare(b));
  return h('article', { class: 'docs-op', 'aria-labelledby': id },
    h('h3', { id, class: 'docs-op-title' },
      h('span', { class: `method method-${method}` }, method.toUpperCase()), ' ',
      h('code', { class: 'docs-path' }, path),
      h('span', { class: 'docs-summary' }, op.summary || '')),
    op.description ? paragraphs(op.description) : null,
    security(doc, op.security),
    parameters(doc, op.parameters),
    op.requestBody ? requestBody(doc, op.requestBody) : null,
    h('h4', {}, 'Responses'),
    h('dl', { class: 'docs-responses' }, responses.map(([code, r]) => response(doc, code, r))),
  );
}

function security(doc, requirements) {
  if (!requirements || requirements.length === 0 || requirements.every((r) => Object.keys(r).length === 0)) {
    return h('p', { class: 'docs-auth' }, h('strong', {}, 'Authentication: '), 'none.');
  }
  const ways = requirements.map((req) => {
    const names = Object.keys(req);
    if (names.length === 0) return 'none';
    return names.map((n) => {
      const scheme = doc.components?.securitySchemes?.[n] || {};
      const scopes = req[n].length ? ` with scope ${req[n].join(', ')}` : '';
      return `${schemeName(n, scheme)}${scopes}`;
    }).join(' and ');
  });
  return h('p', { class: 'docs-auth' }, h('strong', {}, 'Authentication, one of: '), ways.join('; '), '.');
}

function schemeName(name, scheme) {
  if (scheme.type === 'http') return `${name} (Authorization: Bearer${scheme.bearerFormat ? ` ${scheme.bearerFormat}` : ''})`;
  if (scheme.type === 'apiKey') return `${name} (${scheme.in} ${scheme.name})`;
  return name;
}

function parameters(doc, params) {
  if (!params || params.length === 0) return null;
  const rows = params.map((p) => resolve(doc, p)).map((p) => h('tr', {},
    h('th', { scope: 'row' }, h('code', {}, p.name)),
    h('td', {}, p.in),
    h('td', {}, p.required ? 'yes' : 'no'),
    h('td', {}, typeOf(doc, p.schema || {})),
    h('td', {}, p.description || ''),
  ));
  return [
    h('h4', {}, 'Parameters'),
    h('div', { class: 'docs-table-wrap' }, h('table', { class: 'docs-table' },
      h('thead', {}, h('tr', {}, ['Name', 'In', 'Required', 'Schema', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))),
  ];
}

function requestBody(doc, rb) {
  const [media, mt] = Object.entries(rb.content || {})[0] || [];
  return [
    h('h4', {}, 'Request body'),
    h('p', {}, h('code', {}, media || ''), rb.required ? ' (required)' : ' (optional)', rb.description ? ` ${rb.description}` : ''),
    mt && mt.schema ? schemaBlock(doc, mt.schema) : null,
  ];
}

function response(doc, code, r) {
  const content = Object.entries(r.content || {});
  const headers = Object.entries(r.headers || {}).map(([name, hd]) => [name, resolve(doc, hd)]);
  return [
    h('dt', { class: `docs-code docs-status-${code[0]}xx` }, code),
    h('dd', {},
      h('p', {}, r.description),
      headers.length ? h('p', { class: 'docs-headers' }, 'Headers: ', headers.map(([name, hd], i) => [
        i ? ', ' : '', h('code', {}, name), hd.required ? '' : ' (optional)',
      ])) : null,
      content.map(([media, mt]) => h('div', { class: 'docs-content' },
        h('code', {}, media), mt.schema ? [' ', describeResponse(doc, mt.schema)] : null)),
    ),
  ];
}

// describeResponse names a response's schema: a link to the component, or
// the problem types an error comes with.
function describeResponse(doc, schema) {
  if (schema.$ref) return schemaLink(schema.$ref);
  if (schema.allOf) {
    const base = schema.allOf.find((s) => s.$ref);
    const narrowed = schema.allOf.find((s) => s.properties);
    const types = narrowed?.properties?.type?.enum;
    return [base ? schemaLink(base.$ref) : 'object',
      types ? [' of type ', types.map((t, i) => [i ? ', ' : '', h('code', {}, t)])] : null];
  }
  return typeOf(doc, schema);
}

function schemaLink(ref) {
  const name = ref.slice(REF.length);
  return h('a', { href: `#schema-${name}` }, name);
}

function resolve(doc, obj) {
  if (!obj || !obj.$ref) return obj || {};
  const parts = obj.$ref.replace(/^#\//, '').split('/');
  let cur = doc;
  for (const p of parts) cur = cur?.[p];
  return cur || {};
}

// typeOf summarises a schema in a line: its type, format and limits.
function typeOf(doc, s) {
  if (s.$ref) return schemaLink(s.$ref);
  const parts = [];
  if (s.const !== undefined) parts.push(`= ${JSON.stringify(s.const)}`);
  if (s.enum) parts.push(`one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  let type = Array.isArray(s.type) ? s.type.join(' or ') : s.type;
  if (type === 'array' && s.items) {
    return ['array of ', typeOf(doc, s.items)];
  }
  if (s.oneOf) return ['one of ', s.oneOf.map((o, i) => [i ? ', ' : '', typeOf(doc, o)])];
  if (type) parts.unshift(type);
  if (s.format) parts.push(`format ${s.format}`);
  if (s.pattern) parts.push(`pattern ${s.pattern}`);
  if (s.minLength !== undefined) parts.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.minProperties !== undefined) parts.push(`at least ${s.minProperties} field(s)`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(', ') || 'any';
}

// schemaBlock renders an object schema's fields as a table.
function schemaBlock(doc, schema, caption = true) {
  const name = schema.$ref ? schema.$ref.slice(REF.length) : '';
  const s = resolve(doc, schema);
  if (!s.properties) return h('p', {}, typeOf(doc, schema));
  const required = new Set(s.required || []);
  return h('div', { class: 'docs-table-wrap' }, h('table', { class: 'docs-table' },
    name && caption ? h('caption', {}, schemaLink(schema.$ref), s.title ? ` — ${s.title}` : '') : null,
    h('thead', {}, h('tr', {}, ['Field', 'Required', 'Schema', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, Object.entries(s.properties).map(([field, fs]) => h('tr', {},
      h('th', { scope: 'row' }, h('code', {}, field)),
      h('td', {}, required.has(field) ? 'yes' : 'no'),
      h('td', {}, typeOf(doc, fs)),
      h('td', {}, fs.description || ''),
    ))),
    s.additionalProperties === false ? h('tfoot', {}, h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'No other fields are allowed.'))) : null,
  ));
}

function schemas(doc) {
  const all = Object.entries(doc.components?.schemas || {}).sort(([a], [b]) => a.localeCompare(b));
  return h('section', { class: 'docs-tag', 'aria-labelledby': 'schemas' },
    h('h2', { id: 'schemas' }, 'Schemas'),
    h('p', { class: 'muted' }, 'Request schemas (snake_case names) are the JSON Schema files the server validates request bodies with; the others describe its answers.'),
    all.map(([name, s]) => h('article', { class: 'docs-schema', 'aria-labelledby': `schema-${name}` },
      h('h3', { id: `schema-${name}` }, h('code', {}, name)),
      s.description ? h('p', {}, s.description) : null,
      s.properties ? schemaBlock(doc, { $ref: REF + name }, false) : h('p', {}, typeOf(doc, s)),
    )),
  );
}

function paragraphs(text) {
  return (text || '').split(/\n\s*\n/).map((p) => h('p', {}, p.trim()));
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
