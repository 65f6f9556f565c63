// A list of volumes, snapshots or backups of every project: a search box (name, or id), a status
// filter, and pages of the API's own paging (limit, offset, with_count).
import { h, table } from './dom.js';
import { KINDS } from './kinds.js';

export const PAGE_SIZE = 20;

/** Text that may be (the start of) an id: hex digits and dashes. */
const ID_LIKE = /^[0-9a-f-]{4,36}$/i;

/** The list of `kind`; `params` from the URL's hash (`q`, `status`, `page`). */
export function list({ api, refreshNow }, kind, params, setParams) {
  const k = KINDS[kind];
  const state = {
    q: params.get('q') ?? '',
    status: params.get('status') ?? '',
    page: Math.max(1, Number(params.get('page') ?? 1) || 1),
  };
  const search = h('input', {
    type: 'search',
    name: 'q',
    value: state.q,
    placeholder: 'Search by name or id',
    'aria-label': `Search ${k.title.toLowerCase()} by name or id`,
    autocomplete: 'off',
  });
  const status = h(
    'select',
    { name: 'status', 'aria-label': 'Status' },
    h('option', { value: '' }, 'any status'),
    k.statuses.map((s) => h('option', { value: s, selected: s === state.status }, s)),
  );
  const results = h('div', { class: 'results' });
  const range = h('span', { class: 'range' });
  const prev = h('button', { type: 'button', class: 'prev' }, '‹ Previous');
  const next = h('button', { type: 'button', class: 'next' }, 'Next ›');
  const changed = () => {
    // NOTE: a search typed just before leaving the list (a click on a row) must not rewrite the
    // next view's URL nor refresh it: only a list still on the page takes its own changes.
    if (!root.isConnected) return;
    setParams({ q: state.q || null, status: state.status || null, page: state.page > 1 ? state.page : null });
    refreshNow();
  };
  let typing;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.q = search.value.trim();
      state.page = 1;
      changed();
    }, 250);
  });
  status.addEventListener('change', () => {
    state.status = status.value;
    state.page = 1;
    changed();
  });
  prev.addEventListener('click', () => {
    state.page = Math.max(1, state.page - 1);
    changed();
  });
  next.addEventListener('click', () => {
    state.page += 1;
    changed();
  });

  const root = h(
    'section',
    { class: 'list', dataset: { list: kind } },
    h('h2', null, k.title, h('span', { class: 'muted' }, ' of every project')),
    h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() }, search, status),
    results,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, range, next),
  );

  async function refresh() {
    const base = { all_tenants: 1, sort: 'created_at:desc', status: state.status || undefined };
    const q = state.q;
    const [page, byId] = await Promise.all([
      api.get(k.list, {
        ...base,
        limit: PAGE_SIZE,
        offset: (state.page - 1) * PAGE_SIZE,
        with_count: 'true',
        'name~': q || undefined,
      }),
      // NOTE: the API filters by one field at a time: an id-like text is also looked up as an id.
      q && ID_LIKE.test(q) && state.page === 1
        ? api.get(k.list, { ...base, limit: PAGE_SIZE, 'id~': q })
        : Promise.resolve(null),
    ]);
    const seen = new Set();
    const rows = [...(byId?.[k.key] ?? []), ...(page[k.key] ?? [])].filter((r) =>
      seen.has(r.id) ? false : (seen.add(r.id), true),
    );
    const count = Number(page.count ?? rows.length);
    const extra = rows.length - (page[k.key] ?? []).length;
    results.replaceChildren(
      table(
        k.columns,
        rows.map((r) => ({ attrs: { dataset: { id: r.id, status: r.status } }, cells: k.cells(r) })),
        q || state.status ? `No ${k.one} matches.` : `No ${k.one} yet.`,
      ),
    );
    const first = (state.page - 1) * PAGE_SIZE;
    range.textContent =
      count + extra === 0
        ? '0'
        : `${first + 1}–${first + (page[k.key] ?? []).length} of ${count}${extra ? ` (+${extra} by id)` : ''}`;
    prev.disabled = state.page <= 1;
    next.disabled = first + PAGE_SIZE >= count;
  }
  return { root, refresh, nav: kind, title: k.title };
}
