// One volume's page: its fields, attachments, snapshots and backups, its user messages and its
// flow trace (`GET /volumes/{id}/trace`: each task of the api, scheduler and manager flows, and
// the scheduler's decision), shown when the API answers it.
import { badge, fmtTime, gib, h, parseTime, shortId, table, timeCell } from './dom.js';
import { KINDS } from './kinds.js';
import { messagesTable } from './overview.js';

const FIELDS = [
  ['ID', (v) => h('code', null, v.id)],
  ['Name', (v) => v.name || '—'],
  ['Status', (v) => badge(v.status)],
  ['Size', (v) => gib(v.size)],
  ['Type', (v) => v.volume_type ?? '—'],
  ['Host', (v) => v['os-vol-host-attr:host'] ?? '—'],
  ['Project', (v) => v['os-vol-tenant-attr:tenant_id'] ?? '—'],
  ['User', (v) => v.user_id ?? '—'],
  ['Availability zone', (v) => v.availability_zone ?? '—'],
  ['Bootable', (v) => v.bootable ?? '—'],
  ['Multiattach', (v) => (v.multiattach ? 'yes' : 'no')],
  ['Encrypted', (v) => (v.encrypted ? 'yes' : 'no')],
  ['Migration', (v) => v.migration_status ?? '—'],
  [
    'Source',
    (v) => (v.snapshot_id ? `snapshot ${v.snapshot_id}` : v.source_volid ? `volume ${v.source_volid}` : '—'),
  ],
  ['Group', (v) => v.group_id ?? '—'],
  ['Cluster', (v) => v.cluster_name ?? '—'],
  ['Created', (v) => `${fmtTime(v.created_at)} UTC`],
  ['Updated', (v) => `${fmtTime(v.updated_at)} UTC`],
  ['Description', (v) => v.description ?? '—'],
  [
    'Metadata',
    (v) =>
      Object.keys(v.metadata ?? {}).length
        ? Object.entries(v.metadata).map(([k, x]) => h('div', null, h('code', null, `${k}=${x}`)))
        : '—',
  ],
];

function fieldList(v) {
  return h(
    'dl',
    { class: 'fields' },
    FIELDS.map(([label, get]) => [
      h('dt', null, label),
      h('dd', { dataset: { field: label.toLowerCase() } }, get(v)),
    ]),
  );
}

function attachmentsTable(v) {
  return table(
    ['Attachment', 'Server', 'Host', 'Device', 'Attached'],
    (v.attachments ?? []).map((a) => [
      shortId(a.attachment_id ?? a.id),
      a.server_id ?? '—',
      a.host_name ?? '—',
      a.device ?? '—',
      a.attached_at ? timeCell(a.attached_at) : '—',
    ]),
    'Not attached.',
  );
}

const ms = (v) => (v === null || v === undefined ? '—' : `${Math.round(Number(v) * 10) / 10} ms`);

/** One flow run: its tasks on a time line, and (the scheduler's) decision. */
function flowCard(f) {
  const start = parseTime(f.started_at)?.getTime() ?? 0;
  const span = Math.max(1, (parseTime(f.finished_at)?.getTime() ?? start) - start);
  const tasks = (f.tasks ?? []).map((t) => {
    const at = parseTime(t.started_at)?.getTime();
    const left = at === undefined ? 0 : ((at - start) / span) * 100;
    const width = t.duration_ms === null || t.duration_ms === undefined ? 0 : (t.duration_ms / span) * 100;
    const revert = t.revert
      ? h(
          'div',
          { class: 'revert' },
          'revert: ',
          badge(t.revert.outcome),
          ` ${ms(t.revert.duration_ms)}`,
          t.revert.error ? ` — ${t.revert.error}` : '',
        )
      : null;
    return {
      attrs: { dataset: { task: t.name, outcome: t.outcome } },
      cells: [
        t.name,
        badge(t.outcome),
        h(
          'div',
          { class: 'timeline', 'aria-hidden': 'true' },
          h('div', {
            class: `span ${t.outcome}`,
            style: {
              marginLeft: `${Math.min(100, Math.max(0, left)).toFixed(1)}%`,
              width: `${Math.max(0.5, Math.min(100, width)).toFixed(1)}%`,
            },
          }),
        ),
        ms(t.duration_ms),
        [t.error ? h('div', { class: 'error' }, t.error) : null, revert],
      ],
    };
  });
  return h(
    'article',
    { class: 'flow', dataset: { flow: f.flow, outcome: f.outcome } },
    h(
      'h4',
      null,
      h('code', null, f.flow),
      ' ',
      badge(f.outcome),
      h(
        'span',
        { class: 'muted' },
        ` on ${f.host ?? '?'} · ${ms(f.duration_ms)} · ${fmtTime(f.started_at)} UTC · ${f.request_id ?? ''}`,
      ),
    ),
    table(['Task', 'Outcome', 'Time line', 'Duration', 'Error / revert'], tasks, 'No task ran.'),
    f.decision ? decisionBlock(f.decision) : null,
  );
}

function decisionBlock(d) {
  if (d.truncated) return h('p', { class: 'muted' }, 'Scheduler decision: too large to keep whole.');
  return h(
    'div',
    { class: 'decision' },
    h(
      'p',
      null,
      h('strong', null, 'Scheduler decision: '),
      d.chosen
        ? ['chose ', h('code', { class: 'chosen' }, d.chosen)]
        : h('span', { class: 'error' }, `no pool — ${d.error ?? 'nothing fit'}`),
      h(
        'span',
        { class: 'muted' },
        ` · ${d.operation}${d.attempt ? `, attempt ${d.attempt}` : ''}${d.volume_type ? `, type ${d.volume_type}` : ''}` +
          `${d.size !== null && d.size !== undefined ? `, ${d.size} GiB` : ''} · from ${(d.pools ?? []).length} pool(s)`,
      ),
    ),
    table(
      ['Filter', 'Pools in → out', 'Removed, and why'],
      (d.filters ?? []).map((f) => ({
        attrs: { dataset: { filter: f.filter }, class: f.removed?.length ? 'removed' : '' },
        cells: [
          f.filter,
          `${f.start} → ${f.end}`,
          (f.removed ?? []).map((r) => h('div', null, h('code', null, r.pool), `: ${r.reason}`)),
        ],
      })),
      'No filter ran.',
    ),
    (d.weights ?? []).length
      ? h(
          'p',
          { class: 'weights' },
          'Weights: ',
          d.weights.map((w, i) => [
            i ? ', ' : '',
            h('code', null, w.pool),
            ` ${Math.round(w.weight * 1000) / 1000}`,
          ]),
        )
      : null,
    (d.skipped ?? []).length
      ? h(
          'p',
          null,
          'Passed over: ',
          d.skipped.map((s, i) => [i ? '; ' : '', h('code', null, s.pool), `: ${s.reason}`]),
        )
      : null,
  );
}

export function volumePage({ api }, id) {
  const head = h('h2', null, 'Volume ', h('span', { class: 'name' }, id));
  const parts = {
    fields: h('div'),
    attachments: h('div'),
    related: h('div'),
    messages: h('div'),
    trace: h('div'),
  };
  const traceSection = h(
    'section',
    { id: 'trace', hidden: true, 'aria-labelledby': 'trace-h' },
    h('h3', { id: 'trace-h' }, 'Flow trace'),
    parts.trace,
  );
  const root = h(
    'div',
    { class: 'volume-page', dataset: { volume: id } },
    h('p', null, h('a', { href: '#/volumes' }, '← Volumes')),
    head,
    h('section', { id: 'fields' }, parts.fields),
    h('section', { id: 'attachments' }, h('h3', null, 'Attachments'), parts.attachments),
    h(
      'section',
      { id: 'messages', 'aria-labelledby': 'messages-h' },
      h('h3', { id: 'messages-h' }, 'User messages'),
      parts.messages,
    ),
    traceSection,
    h('section', { id: 'related' }, h('h3', null, 'Snapshots and backups'), parts.related),
  );

  async function refresh() {
    const [vol, messages, trace, snapshots, backups] = await Promise.all([
      api.find(KINDS.volumes.show(id)),
      api.get('messages', { resource_uuid: id, sort: 'created_at:desc' }),
      // NOTE: Kindling's own endpoint (admin only); where it is missing or refused, no section.
      api.find(`volumes/${encodeURIComponent(id)}/trace`, {}, true).catch(() => null),
      api.get(KINDS.snapshots.list, { all_tenants: 1, volume_id: id }),
      api.get(KINDS.backups.list, { all_tenants: 1, volume_id: id }).catch(() => ({ backups: [] })),
    ]);
    const v = vol?.volume;
    head.replaceChildren(
      'Volume ',
      h('span', { class: 'name' }, v ? v.name || v.id : id),
      ' ',
      v ? badge(v.status) : badge('deleted'),
    );
    parts.fields.replaceChildren(
      v
        ? fieldList(v)
        : h(
            'p',
            { class: 'error' },
            `No volume ${id}: it was deleted, or never was. What is left of it follows.`,
          ),
    );
    parts.attachments.replaceChildren(v ? attachmentsTable(v) : h('p', { class: 'muted' }, '—'));
    parts.messages.replaceChildren(messagesTable(messages.messages ?? [], false));
    const rel = [
      ...(snapshots.snapshots ?? []).map((s) => ['snapshot', s]),
      ...(backups.backups ?? []).map((b) => ['backup', b]),
    ];
    parts.related.replaceChildren(
      table(
        ['Kind', 'Name', 'ID', 'Status', 'Size', 'Created'],
        rel.map(([kind, r]) => [
          kind,
          r.name || '—',
          shortId(r.id),
          badge(r.status),
          gib(r.size),
          timeCell(r.created_at),
        ]),
        'No snapshot, no backup.',
      ),
    );
    const flows = trace?.trace?.flows;
    traceSection.hidden = !Array.isArray(flows);
    if (Array.isArray(flows))
      parts.trace.replaceChildren(
        ...(flows.length
          ? flows.map(flowCard)
          : [h('p', { class: 'muted' }, 'No trace kept (flow_trace_ttl, or the volume predates it).')]),
      );
  }

  return { root, refresh, nav: 'volumes', title: `Volume ${id}` };
}
