// Small DOM and formatting helpers. Every text reaches the page as a text node (never as HTML),
// so names and messages from the API cannot inject markup.

/**
 * Builds an element: `h('a', { href: '#/', class: 'x', dataset: { id } }, 'text', child)`.
 * Attributes that are null, undefined or false are left out; `on<event>` adds a listener.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A table: `headers` as column titles, `rows` as arrays of cells (or `{ cells, attrs }`). */
export function table(headers, rows, empty = 'None.') {
  if (rows.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h(
    'table',
    null,
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) => {
        const { cells, attrs } = Array.isArray(r) ? { cells: r, attrs: null } : r;
        return h(
          'tr',
          attrs,
          cells.map((c) => h('td', null, c)),
        );
      }),
    ),
  );
}

/** The API's times are UTC without a zone (`2024-05-01T10:00:00.123000`). */
export function parseTime(ts) {
  if (!ts) return null;
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(ts) ? ts : `${ts}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `2024-05-01 10:00:00` (UTC, as the API says it). */
export function fmtTime(ts) {
  const d = parseTime(ts);
  return d ? d.toISOString().slice(0, 19).replace('T', ' ') : '—';
}

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function ago(ts, now = Date.now()) {
  const d = parseTime(ts);
  if (!d) return 'never';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A time with its age, the exact time as a tooltip. */
export function timeCell(ts) {
  return h('time', { datetime: parseTime(ts)?.toISOString(), title: `${fmtTime(ts)} UTC` }, ago(ts));
}

/** `12.3` GiB, or the value as it is when it is not a number (`infinite`, `unknown`). */
export function gib(v) {
  const n = Number(v);
  return Number.isFinite(n) && v !== null && v !== '' ? `${Math.round(n * 10) / 10} GiB` : String(v ?? '—');
}

/** The first characters of an id, the whole id as a tooltip. */
export function shortId(id) {
  return id ? h('code', { title: id, class: 'id' }, id.slice(0, 8)) : '—';
}

/** A status as a coloured badge. */
export function badge(status) {
  const s = String(status ?? 'unknown');
  const tone = /^error|down|failure|revert_failed/.test(s)
    ? 'bad'
    : /^(available|up|success|enabled|in-use|reverted)$/.test(s)
      ? s === 'reverted'
        ? 'warn'
        : 'good'
      : /disabled|not_run/.test(s)
        ? 'off'
        : 'busy';
  return h('span', { class: `badge ${tone}`, dataset: { status: s } }, s);
}

/** True for a status of the error family (`error`, `error_deleting`, …). */
export const isError = (status) => /^error/.test(String(status ?? ''));
