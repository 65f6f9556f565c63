// The overview: pools with capacity bars, services and their heartbeats, every resource counted
// by status, and what went wrong lately (resources in an error status, recent user messages).
import { ApiError } from './api.js';
import { ago, badge, gib, h, isError, table, timeCell } from './dom.js';
import { KINDS, nameOrId, volumeLink } from './kinds.js';

/** How many resources of a kind are counted (newest first); more are said to be left out. */
export const COUNT_CAP = 5000;
const RECENT = 10;

const num = (v) => {
  const n = Number(v);
  return v === null || v === undefined || v === '' || !Number.isFinite(n) ? null : n;
};

/** One capacity bar: `value` of `max`, labelled. */
function bar(label, pool, value, max, text) {
  const pct = max > 0 && value !== null ? Math.min(100, (value / max) * 100) : 0;
  const tone = pct >= 90 ? 'bad' : pct >= 75 ? 'warn' : 'good';
  return h(
    'div',
    { class: 'meter-row', dataset: { meter: label.toLowerCase() } },
    h('span', { class: 'meter-label' }, label),
    h(
      'div',
      {
        class: 'bar',
        role: 'meter',
        'aria-label': `${label} of ${pool}`,
        'aria-valuemin': 0,
        'aria-valuemax': max ?? 0,
        'aria-valuenow': value ?? 0,
        'aria-valuetext': text,
      },
      h('div', { class: `fill ${tone}`, style: { width: `${pct.toFixed(1)}%` } }),
    ),
    h('span', { class: 'meter-text' }, text),
  );
}

const pct = (v, max) => (max > 0 ? ` (${Math.round((v / max) * 100)} %)` : '');

function poolCard(p) {
  const c = p.capabilities ?? {};
  const total = num(c.total_capacity_gb);
  const free = num(c.free_capacity_gb);
  const allocated = num(c.allocated_capacity_gb) ?? 0;
  const provisioned = num(c.provisioned_capacity_gb) ?? allocated;
  const ratio = num(c.max_over_subscription_ratio) ?? 1;
  const thin = Boolean(c.thin_provisioning_support);
  const limit = total === null ? null : thin ? total * ratio : total;
  const used = total !== null && free !== null ? Math.max(0, total - free) : null;
  const bars =
    total === null
      ? [h('p', { class: 'muted' }, `total capacity: ${String(c.total_capacity_gb ?? 'unknown')}`)]
      : [
          bar(
            'Used',
            p.name,
            used,
            total,
            `${gib(used)} of ${gib(total)} used${pct(used, total)}, ${gib(free)} free`,
          ),
          bar('Allocated', p.name, allocated, total, `${gib(allocated)} allocated${pct(allocated, total)}`),
          bar(
            'Provisioned',
            p.name,
            provisioned,
            limit,
            `${gib(provisioned)} provisioned of ${gib(limit)}${thin ? ` (${ratio}× over-subscription)` : ''}`,
          ),
        ];
  return h(
    'article',
    { class: 'pool', dataset: { pool: p.name } },
    h('h3', null, p.name),
    h(
      'p',
      { class: 'muted' },
      [
        c.volume_backend_name,
        c.storage_protocol,
        thin ? 'thin' : 'thick',
        `reserved ${c.reserved_percentage ?? 0} %`,
        c.timestamp ? `reported ${ago(c.timestamp)}` : null,
      ]
        .filter(Boolean)
        .join(' · '),
    ),
    bars,
  );
}

function servicesTable(services) {
  const down = services.filter((s) => s.state !== 'up');
  return [
    h(
      'p',
      { class: down.length ? 'error summary' : 'muted summary' },
      `${services.length - down.length} up, ${down.length} down`,
    ),
    table(
      ['Binary', 'Host', 'Zone', 'Status', 'State', 'Last heartbeat', 'Reason'],
      services.map((s) => ({
        attrs: {
          class: [s.state !== 'up' ? 'down' : '', s.status === 'disabled' ? 'disabled' : ''].join(' ').trim(),
          dataset: { service: `${s.binary} ${s.host}`, state: s.state },
        },
        cells: [
          s.binary,
          s.host,
          s.zone ?? '—',
          badge(s.status),
          badge(s.state),
          timeCell(s.updated_at),
          s.disabled_reason ?? '',
        ],
      })),
      'No service has reported.',
    ),
  ];
}

function countCard(kind, { items, truncated }) {
  const k = KINDS[kind];
  const counts = new Map();
  for (const r of items) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const order = (s) => {
    const i = k.statuses.indexOf(s);
    return i < 0 ? k.statuses.length : i;
  };
  const statuses = [...counts.keys()].sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return h(
    'article',
    { class: 'count-card', dataset: { kind } },
    h(
      'h3',
      null,
      h('a', { href: `#/${kind}` }, k.title),
      ' ',
      h(
        'span',
        { class: 'total', 'aria-label': `${k.title} in all` },
        truncated ? `${items.length}+` : items.length,
      ),
    ),
    statuses.length === 0
      ? h('p', { class: 'muted' }, 'None.')
      : h(
          'ul',
          { class: 'statuses' },
          statuses.map((s) =>
            h(
              'li',
              { dataset: { status: s } },
              h(
                'a',
                { href: `#/${kind}?status=${encodeURIComponent(s)}` },
                badge(s),
                ' ',
                h('span', { class: 'n' }, counts.get(s)),
              ),
            ),
          ),
        ),
    truncated ? h('p', { class: 'muted' }, `Counted: the newest ${items.length}.`) : null,
  );
}

function errorsTable(lists) {
  const rows = [];
  for (const [kind, { items }] of Object.entries(lists)) {
    for (const r of items) if (isError(r.status)) rows.push({ kind, r });
  }
  rows.sort((a, b) => String(b.r.updated_at ?? '').localeCompare(String(a.r.updated_at ?? '')));
  return table(
    ['Kind', 'Name', 'Status', 'Project', 'Updated'],
    rows.slice(0, RECENT).map(({ kind, r }) => ({
      attrs: { dataset: { id: r.id, kind } },
      cells: [
        KINDS[kind].one,
        volumeLink(KINDS[kind].volumeId(r), nameOrId(r)),
        badge(r.status),
        KINDS[kind].project(r) ?? '—',
        timeCell(r.updated_at ?? r.created_at),
      ],
    })),
    'Nothing is in an error status.',
  );
}

export function messagesTable(messages, withResource = true) {
  return table(
    ['When', 'Level', ...(withResource ? ['Resource'] : []), 'Message', 'Request'],
    messages.map((m) => ({
      attrs: { class: 'message', dataset: { message: m.id } },
      cells: [
        timeCell(m.created_at),
        badge(m.message_level === 'ERROR' ? 'error' : String(m.message_level ?? '').toLowerCase()),
        ...(withResource
          ? [
              m.resource_type === 'VOLUME'
                ? volumeLink(m.resource_uuid, `volume ${String(m.resource_uuid).slice(0, 8)}`)
                : `${String(m.resource_type ?? '').toLowerCase()} ${String(m.resource_uuid ?? '').slice(0, 8)}`,
            ]
          : []),
        h('span', { class: 'message-text' }, m.user_message),
        h('code', { class: 'id' }, m.request_id ?? ''),
      ],
    })),
    'No user message.',
  );
}

export function overview({ api }) {
  const parts = {
    pools: h('div', { class: 'pools' }),
    services: h('div'),
    counts: h('div', { class: 'cards' }),
    errors: h('div'),
    messages: h('div'),
  };
  const root = h(
    'div',
    { class: 'overview' },
    h(
      'section',
      { id: 'pools', 'aria-labelledby': 'pools-h' },
      h('h2', { id: 'pools-h' }, 'Pools'),
      parts.pools,
    ),
    h(
      'section',
      { id: 'services', 'aria-labelledby': 'services-h' },
      h('h2', { id: 'services-h' }, 'Services'),
      parts.services,
    ),
    h(
      'section',
      { id: 'counts', 'aria-labelledby': 'counts-h' },
      h('h2', { id: 'counts-h' }, 'Resources by status'),
      parts.counts,
    ),
    h(
      'section',
      { id: 'errors', 'aria-labelledby': 'errors-h' },
      h('h2', { id: 'errors-h' }, 'Recent errors'),
      h(
        'div',
        { class: 'columns' },
        h('div', { id: 'error-resources' }, h('h3', null, 'In an error status'), parts.errors),
        h('div', { id: 'recent-messages' }, h('h3', null, 'User messages'), parts.messages),
      ),
    ),
  );

  async function refresh() {
    const [pools, services, volumes, snapshots, backups, messages] = await Promise.all([
      api.get('scheduler-stats/get_pools', { detail: 'true' }),
      api.get('os-services'),
      api.listAll(KINDS.volumes.list, 'volumes', COUNT_CAP),
      api.listAll(KINDS.snapshots.list, 'snapshots', COUNT_CAP),
      api.listAll(KINDS.backups.list, 'backups', COUNT_CAP).catch((e) => {
        // NOTE: without a backup service Kindling still answers; keep the rest of the page.
        if (e instanceof ApiError && e.status >= 500) return { items: [], truncated: false };
        throw e;
      }),
      api.get('messages', { sort: 'created_at:desc', limit: RECENT }),
    ]);
    const lists = { volumes, snapshots, backups };
    const poolList = [...(pools.pools ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    parts.pools.replaceChildren(
      ...(poolList.length
        ? poolList.map(poolCard)
        : [h('p', { class: 'muted' }, 'No pool has been reported.')]),
    );
    const svc = [...(services.services ?? [])].sort(
      (a, b) => a.binary.localeCompare(b.binary) || a.host.localeCompare(b.host),
    );
    parts.services.replaceChildren(...servicesTable(svc));
    parts.counts.replaceChildren(...Object.keys(KINDS).map((k) => countCard(k, lists[k])));
    parts.errors.replaceChildren(errorsTable(lists));
    parts.messages.replaceChildren(messagesTable(messages.messages ?? []));
  }

  return { root, refresh, nav: 'overview', title: 'Overview' };
}
