/**
 * Fuzz pass over every body route (issue 11, "Done means"): a `kindling serve` process gets
 * thousands of generated bad requests — bodies of the wrong type, nested too deep, huge, not
 * UTF-8, not JSON, with unknown keys and nulls, on every POST/PUT route of the API's own route
 * table; bad headers and raw HTTP on every route — and must answer each with a 4xx Cinder fault
 * (never ≥ 500), change no row of its database, log no error, and still be serving at the end.
 *
 * The bodies are invalid by construction, so none may change anything: a generated body that a
 * route accepts is a bug in this test's generators (or a route that accepts garbage).
 * `FUZZ_SEED=<n>` replays a run; `FUZZ_SCALE=<x>` multiplies the number of requests;
 * `FUZZ_BISECT=1` sends one request at a time and names the first one that changed a row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { pino } from 'pino';
import { routeTable, type RouteSummary } from '../../src/api/app.js';
import { loadConfig } from '../../src/config/index.js';
import { startEmbedded } from '../../src/service/embedded.js';
import { startKindling, type KindlingProcess } from './harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
/** Requests per body route, and header/raw requests over all routes. */
const BODIES_PER_ROUTE = Math.round(120 * SCALE);
const HEADER_REQUESTS = Math.round(1500 * SCALE);
const RAW_REQUESTS = Math.round(600 * SCALE);
const BISECT = process.env.FUZZ_BISECT === '1';
const CONCURRENCY = BISECT ? 1 : 8;
/**
 * How long the three phases may send (60/25/15 %): on a slow machine the rest is left out, as
 * evenly over the routes as the order of the requests allows.
 */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? (BISECT ? 3_600_000 : 35_000));
const PROJECT = 'admin';

// ---- the routes ---------------------------------------------------------------------------------

/** The API's routes, as the code registers them (an in-process API on a throwaway state dir). */
async function apiRoutes(): Promise<readonly RouteSummary[]> {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-routes-'));
  try {
    const config = loadConfig({
      env: { KINDLING_STATE_DIR: dir, KINDLING__DEFAULT__enable_backup: 'false' },
    });
    const k = await startEmbedded(config, { log: pino({ level: 'silent' }) });
    try {
      await k.app.ready();
      return [...routeTable(k.app)];
    } finally {
      await k.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The existing resources the routes' ids point at, so bodies meet real objects. */
interface Resources {
  volume: string;
  snapshot: string;
  backup: string;
  type: string;
  qos: string;
  groupType: string;
}

/** An id no resource has (groups, attachments, transfers, messages): validation still runs first. */
const NO_SUCH = '00000000-0000-4000-8000-00000000f022';

/** A route's URL with its parameters filled in. */
function concreteUrl(pattern: string, r: Resources): string {
  const family = pattern.replace(/^\/v3(\/:project_id)?/, '').split('/')[1] ?? '';
  const ids: Record<string, string> = {
    volumes: r.volume,
    snapshots: r.snapshot,
    backups: r.backup,
    types: r.type,
    'qos-specs': r.qos,
    group_types: r.groupType,
    'os-quota-sets': PROJECT,
    'os-quota-class-sets': 'default',
    'default-types': PROJECT,
  };
  const key = pattern.includes('/extra_specs/')
    ? 'k1'
    : pattern.includes('/group_specs/')
      ? 'gk'
      : pattern.includes('/encryption/')
        ? 'provider'
        : 'mk';
  return pattern
    .replace(':project_id', PROJECT)
    .replace(':id', ids[family] ?? NO_SUCH)
    .replace(':key', key)
    .replace(':action', 'enable')
    .replace(':host', 'nohost')
    .replace(':alias', 'noalias');
}

/** `os-services/:action`: every action, with the fields they read at the top level. */
const SERVICE_ACTIONS = [
  'enable',
  'disable',
  'disable-log-reason',
  'freeze',
  'thaw',
  'failover_host',
  'failover',
  'set-log',
  'get-log',
];
const SERVICE_FIELDS = [
  'host',
  'binary',
  'service',
  'disabled_reason',
  'level',
  'prefix',
  'server',
  'cluster',
  'backend_id',
];

/**
 * The keys a route's body is wrapped in, each with the fields inside it. Only actions whose
 * arguments are validated are listed: an action that ignores its value (`os-force_delete`,
 * `os-reserve`, …) would run, whatever value the fuzzer gave it.
 */
interface Envelope {
  key: string;
  fields: readonly string[];
  /** What the envelope's value may be besides an object: `null` (restore, backup update). */
  nullable?: boolean;
  /** The value is a string (`{"<url key>": "v"}`), not an object. */
  scalar?: boolean;
  /** The value is a list of strings (`{"keys": […]}`), not an object. */
  list?: boolean;
}
const env = (key: string, ...fields: string[]): Envelope => ({ key, fields });
const nullable = (key: string, ...fields: string[]): Envelope => ({ key, fields, nullable: true });
const scalar = (key: string): Envelope => ({ key, fields: [], scalar: true });
const list = (key: string): Envelope => ({ key, fields: [], list: true });
const VOLUME = [
  'size',
  'name',
  'description',
  'display_name',
  'display_description',
  'volume_type',
  'availability_zone',
  'snapshot_id',
  'source_volid',
  'imageRef',
  'backup_id',
  'metadata',
  'multiattach',
  'consistencygroup_id',
  'group_id',
];
const ENVELOPES: readonly [RegExp, readonly Envelope[]][] = [
  [/^\/volumes$/, [env('volume', ...VOLUME)]],
  [
    /^\/volumes\/:id$/,
    [env('volume', 'name', 'description', 'display_name', 'display_description', 'metadata')],
  ],
  [/^\/(volumes|snapshots)\/:id\/metadata$/, [env('metadata', 'k1', 'k2')]],
  [/^\/(volumes|snapshots)\/:id\/metadata\/:key$/, [env('meta', 'mk')]],
  [
    /^\/volumes\/:id\/action$/,
    [
      env('os-extend', 'new_size'),
      env('os-retype', 'new_type', 'migration_policy'),
      env('os-set_bootable', 'bootable'),
      env('os-update_readonly_flag', 'readonly'),
      env('os-reset_status', 'status', 'attach_status', 'migration_status'),
      env('os-migrate_volume', 'host', 'force_host_copy', 'lock_volume', 'cluster'),
      env('os-set_image_metadata', 'metadata'),
      env('os-unset_image_metadata', 'key'),
      env(
        'os-volume_upload_image',
        'image_name',
        'force',
        'disk_format',
        'container_format',
        'visibility',
        'protected',
      ),
    ],
  ],
  [
    /^\/snapshots$/,
    [
      env(
        'snapshot',
        'volume_id',
        'force',
        'name',
        'description',
        'display_name',
        'display_description',
        'metadata',
      ),
    ],
  ],
  [/^\/snapshots\/:id$/, [env('snapshot', 'name', 'description', 'display_name', 'display_description')]],
  [
    /^\/snapshots\/:id\/action$/,
    [env('os-reset_status', 'status'), env('os-update_snapshot_status', 'status', 'progress')],
  ],
  [
    /^\/types$/,
    [
      env(
        'volume_type',
        'name',
        'description',
        'is_public',
        'os-volume-type-access:is_public',
        'extra_specs',
      ),
    ],
  ],
  [/^\/types\/:id$/, [env('volume_type', 'name', 'description', 'is_public')]],
  [/^\/types\/:id\/extra_specs$/, [env('extra_specs', 'k1', 'k2')]],
  [/^\/types\/:id\/extra_specs\/:key$/, [scalar('k1')]],
  [
    /^\/types\/:id\/encryption(\/:key)?$/,
    [env('encryption', 'provider', 'cipher', 'key_size', 'control_location')],
  ],
  [/^\/types\/:id\/action$/, [env('addProjectAccess', 'project'), env('removeProjectAccess', 'project')]],
  [/^\/default-types\/:id$/, [env('default_type', 'volume_type')]],
  [/^\/qos-specs$/, [env('qos_specs', 'name', 'consumer', 'k1')]],
  [/^\/qos-specs\/:id$/, [env('qos_specs', 'k1', 'consumer')]],
  [/^\/qos-specs\/:id\/delete_keys$/, [list('keys')]],
  [/^\/os-quota-sets\/:id$/, [env('quota_set', 'volumes', 'gigabytes', 'snapshots', 'backups')]],
  [/^\/os-quota-class-sets\/:id$/, [env('quota_class_set', 'volumes', 'gigabytes', 'snapshots', 'backups')]],
  [/^\/(os-volume-transfer|volume-transfers)$/, [env('transfer', 'volume_id', 'name', 'no_snapshots')]],
  [/^\/(os-volume-transfer|volume-transfers)\/:id\/accept$/, [env('accept', 'auth_key')]],
  [
    /^\/backups$/,
    [
      env(
        'backup',
        'volume_id',
        'container',
        'description',
        'incremental',
        'force',
        'name',
        'snapshot_id',
        'metadata',
        'availability_zone',
      ),
    ],
  ],
  [/^\/backups\/:id$/, [nullable('backup', 'name', 'description', 'metadata')]],
  [/^\/backups\/import_record$/, [env('backup-record', 'backup_service', 'backup_url')]],
  [/^\/backups\/:id\/restore$/, [nullable('restore', 'volume_id', 'name')]],
  [/^\/backups\/:id\/action$/, [env('os-reset_status', 'status')]],
  [/^\/group_types$/, [env('group_type', 'name', 'description', 'is_public', 'group_specs')]],
  [/^\/group_types\/:id$/, [env('group_type', 'name', 'description', 'is_public')]],
  [/^\/group_types\/:id\/group_specs$/, [env('group_specs', 'gk', 'g2')]],
  [/^\/group_types\/:id\/group_specs\/:key$/, [scalar('gk')]],
  [/^\/group_snapshots$/, [env('group_snapshot', 'group_id', 'name', 'description')]],
  [/^\/group_snapshots\/:id\/action$/, [env('reset_status', 'status')]],
  [/^\/groups$/, [env('group', 'group_type', 'volume_types', 'name', 'description', 'availability_zone')]],
  [/^\/groups\/:id$/, [env('group', 'name', 'description', 'add_volumes', 'remove_volumes')]],
  [
    /^\/groups\/action$/,
    [env('create-from-src', 'group_snapshot_id', 'source_group_id', 'name', 'description')],
  ],
  [/^\/groups\/:id\/action$/, [env('reset_status', 'status')]],
  [
    /^\/consistencygroups$/,
    [env('consistencygroup', 'volume_types', 'name', 'description', 'availability_zone')],
  ],
  [
    /^\/consistencygroups\/create_from_src$/,
    [env('consistencygroup-from-src', 'cgsnapshot_id', 'source_cgid', 'name', 'description')],
  ],
  [
    /^\/consistencygroups\/:id(\/update)?$/,
    [env('consistencygroup', 'name', 'description', 'add_volumes', 'remove_volumes')],
  ],
  [/^\/consistencygroups\/:id\/delete$/, [env('consistencygroup', 'force')]],
  [/^\/cgsnapshots$/, [env('cgsnapshot', 'consistencygroup_id', 'name', 'description')]],
  [/^\/attachments$/, [env('attachment', 'volume_uuid', 'instance_uuid', 'connector', 'mode')]],
  [/^\/attachments\/:id$/, [env('attachment', 'connector')]],
];

function envelopesOf(pattern: string): readonly Envelope[] {
  const path = pattern.replace(/^\/v3(\/:project_id)?/, '');
  return ENVELOPES.find(([re]) => re.test(path))?.[1] ?? [];
}

// ---- the generators -----------------------------------------------------------------------------

/** A value no typed field accepts: lists of lists and objects holding lists, at some depth. */
const invalidForAnyField: fc.Arbitrary<unknown> = fc.oneof(
  fc.array(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), {
    minKeys: 1,
    maxKeys: 3,
  }),
  fc.integer({ min: 2, max: 99 }).map((depth) => {
    let v: unknown = ['x'];
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
    return [v];
  }),
);

const numbersAndLists: fc.Arbitrary<unknown>[] = [
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
];
/** Strings longer than any field allows. */
const hugeString = fc.integer({ min: 256, max: 100_000 }).map((n) => 'x'.repeat(n));

/** Anything but an object, as an envelope's value. */
const notAnObject: fc.Arbitrary<unknown> = fc.oneof(
  ...numbersAndLists,
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  hugeString,
);
/** Anything but an object or null (an envelope that may be null). */
const notAnObjectNorNull = notAnObject.filter((v) => v !== null);
/** Anything but a list of strings. */
const notAListOfStrings: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.array(invalidForAnyField, { minLength: 1, maxLength: 3 }),
);
/** Anything but a string of up to 255 characters or null (a spec value). */
const notASpecValue: fc.Arbitrary<unknown> = fc.oneof(
  ...numbersAndLists,
  hugeString,
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** A key no schema knows. */
const unknownKey = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `zz-fuzz-${s}`);

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const json = (v: unknown) => utf8(JSON.stringify(v));

/** Bytes that are not UTF-8, to splice into a body. */
const badUtf8 = fc.constantFrom(
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
);

/** Text `JSON.parse` refuses. */
const notJson = fc.oneof(
  fc.string({ maxLength: 60 }).filter((s) => {
    try {
      JSON.parse(s);
      return s.trim() === '';
    } catch {
      return true;
    }
  }),
  fc.constantFrom(
    '{',
    '{"volume": {',
    '[1, 2',
    '{"a": 1,}',
    "{'a': 1}",
    'nul',
    'NaN',
    '{"a": 01}',
    '\ufeff{}',
    '{"a": "\\x"}',
  ),
);

/**
 * Routes whose body Cinder's schema makes optional (`body=None`): an empty body there is a request
 * without a body (Cinder's `get_body` reads zero bytes as none), not a bad one.
 */
const OPTIONAL_BODY_ROUTES = /\/workers\/cleanup$/;

function emptyOptionalBody(url: string, bytes: Buffer): boolean {
  return bytes.length === 0 && OPTIONAL_BODY_ROUTES.test(url);
}

/** One generated bad body for a route: its bytes and what kind of bad it is. */
interface BadBody {
  kind: string;
  bytes: Buffer;
}

function badBodies(envelopes: readonly Envelope[], serviceFields: boolean): fc.Arbitrary<BadBody> {
  const kinds: fc.Arbitrary<BadBody>[] = [
    notJson.map((s) => ({ kind: 'not JSON', bytes: utf8(s) })),
    fc
      .oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.string({ maxLength: 20 }),
        fc.array(fc.jsonValue({ maxDepth: 2 })),
      )
      .map((v) => ({ kind: 'not an object', bytes: json(v) })),
    fc.dictionary(unknownKey, fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 4 }).map((v) => ({
      kind: 'unknown keys',
      bytes: json(v),
    })),
    fc.integer({ min: 101, max: 50_000 }).map((depth) => ({
      kind: 'nested too deep',
      bytes: utf8(`{"x": ${'['.repeat(depth)}${']'.repeat(depth)}}`),
    })),
    fc.tuple(fc.jsonValue({ maxDepth: 2 }), badUtf8, fc.nat()).map(([v, bad, at]) => {
      const text = json({ zz: v, name: 'x' });
      const i = 1 + (at % (text.length - 1));
      return {
        kind: 'not UTF-8',
        bytes: Buffer.concat([text.subarray(0, i), Buffer.from(bad), text.subarray(i)]),
      };
    }),
    fc.integer({ min: 114_689, max: 200_000 }).map((n) => ({
      kind: 'too large',
      bytes: utf8(`{"volume": {"name": "${'n'.repeat(n)}"}}`),
    })),
  ];
  for (const e of envelopes) {
    const wrong = e.scalar
      ? notASpecValue
      : e.list
        ? notAListOfStrings
        : e.nullable
          ? notAnObjectNorNull
          : notAnObject;
    kinds.push(wrong.map((v) => ({ kind: `${e.key}: wrong type`, bytes: json({ [e.key]: v }) })));
    if (e.fields.length > 0) {
      kinds.push(
        fc
          .tuple(
            fc.subarray([...e.fields], { minLength: 1 }),
            fc.array(invalidForAnyField, { minLength: e.fields.length, maxLength: e.fields.length }),
            fc.option(fc.dictionary(unknownKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 })),
          )
          .map(([fields, values, extra]) => ({
            kind: `${e.key}: fields of the wrong type`,
            bytes: json({
              [e.key]: { ...Object.fromEntries(fields.map((f, i) => [f, values[i]])), ...extra },
            }),
          })),
      );
    }
  }
  if (serviceFields) {
    kinds.push(
      fc
        .tuple(
          fc.subarray(SERVICE_FIELDS, { minLength: 1 }),
          fc.array(invalidForAnyField, { minLength: 9, maxLength: 9 }),
        )
        .map(([fields, values]) => ({
          kind: 'service fields of the wrong type',
          bytes: json(Object.fromEntries(fields.map((f, i) => [f, values[i]]))),
        })),
    );
  }
  return fc.oneof(...kinds);
}

/** Header values Node's client can send (no CR/LF/NUL), sometimes long, sometimes odd. */
const headerValue = fc.oneof(
  fc
    .string({ maxLength: 30 })
    .map((s) => s.replace(/[\r\n\0]/g, '').replace(/[^\t\x20-\x7e\x80-\xff]/g, '?')),
  fc.constantFrom(
    'volume 3.70 3.71',
    'volume',
    'volume latest latest',
    'volume 3.0x',
    'volume 99999999999999999999.1',
    ',,,',
    'volume -3.1',
    'volume 3.07',
    'VOLUME 3.1',
    'compute 2.1',
    '',
  ),
  fc.integer({ min: 1000, max: 12_000 }).map((n) => 'v'.repeat(n)),
);

const FUZZED_HEADERS = [
  'openstack-api-version',
  'openstack-volume-microversion',
  'x-auth-token',
  'content-type',
  'accept',
  'accept-language',
  'x-forwarded-proto',
  'x-openstack-request-id',
];

// ---- sending ------------------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(
  base: string,
  method: string,
  url: string,
  body: Buffer | undefined,
  headers: Record<string, string>,
): Promise<Answer> {
  const target = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method,
        path: url,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes `bytes` on a fresh connection and reads until the server closes it (or 10 s). */
function sendRaw(base: string, bytes: Buffer): Promise<string> {
  const target = new URL(base);
  return new Promise((resolve) => {
    const s = connect({ host: target.hostname, port: Number(target.port) });
    const got: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('connect', () => s.end(bytes));
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got).toString('latin1'));
    });
  });
}

/** Runs `jobs` with at most `n` at a time. */
/** Runs `job` on `items`, `n` at a time, starting none after `deadline`; returns how many ran. */
async function pool<T>(
  items: readonly T[],
  n: number,
  deadline: number,
  job: (item: T) => Promise<void>,
): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length && Date.now() < deadline) await job(items[next++]!);
    }),
  );
  return next;
}

// ---- what must hold -----------------------------------------------------------------------------

/** Every table's rows (`services` without its heartbeat columns). */
function tableRows(file: string): Map<string, Record<string, unknown>[]> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const out = new Map<string, Record<string, unknown>[]>();
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { name: string }[];
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all() as Record<string, unknown>[];
      if (name === 'services')
        for (const r of rows) for (const c of ['report_count', 'heartbeat_at', 'updated_at']) delete r[c];
      out.set(name, rows);
    }
    return out;
  } finally {
    db.close();
  }
}

/** What differs between two {@link tableRows} readings: per table, counts and changed columns. */
function differences(
  before: Map<string, Record<string, unknown>[]>,
  after: Map<string, Record<string, unknown>[]>,
): string[] {
  const out: string[] = [];
  const hash = (rows: unknown) => createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  for (const [table, rows] of before) {
    const now = after.get(table) ?? [];
    if (hash(rows) === hash(now)) continue;
    const changed = rows.flatMap((r, i) =>
      Object.keys(r)
        .filter((c) => JSON.stringify(r[c]) !== JSON.stringify(now[i]?.[c]))
        .map((c) => `${c}: ${JSON.stringify(r[c])} → ${JSON.stringify(now[i]?.[c])}`),
    );
    out.push(`${table}: ${rows.length} → ${now.length} rows; ${changed.slice(0, 5).join('; ')}`);
  }
  return out;
}

/** A problem found, with what reproduces it. */
interface Finding {
  what: string;
  request: string;
}

function describeRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: Buffer,
): string {
  const shown =
    body === undefined
      ? ''
      : ` ${JSON.stringify(body.toString('latin1').slice(0, 300))}${body.length > 300 ? `… (${body.length} bytes)` : ''}`;
  const h = Object.entries(headers)
    .filter(([k]) => k !== 'x-auth-token' || headers[k] !== 'admin:admin')
    .map(([k, v]) => `${k}: ${JSON.stringify(v.slice(0, 80))}`)
    .join(', ');
  return `${method} ${url}${h ? ` [${h}]` : ''}${shown}`;
}

/** noauth's answer to a request without a token: 204 and a token to use; nothing ran. */
function noauthHandshake(a: Answer): boolean {
  return a.status === 204 && a.headers['x-server-management-url'] !== undefined;
}

/** The checks on one answer: a 4xx Cinder fault with a request id (or a 2xx, counted). */
function check(a: Answer, request: string, findings: Finding[]): void {
  // NOTE: an action Kindling does not have yet is refused with a 501 before its body is read
  // (NotImplementedYet); that is a refusal, not a crash.
  if (a.status === 501 && a.text.includes('is not supported by Kindling yet')) return;
  if (a.status >= 500 || a.status < 200) {
    findings.push({ what: `${a.status} ${a.text.slice(0, 200)}`, request });
    return;
  }
  if (!/^req-[0-9a-f-]{36}$/.test(String(a.headers['x-openstack-request-id'])))
    findings.push({ what: `${a.status} without x-openstack-request-id`, request });
  if (a.status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(a.text);
    } catch {
      body = undefined;
    }
    const fault = body && typeof body === 'object' ? Object.values(body)[0] : undefined;
    const ok =
      fault !== undefined &&
      Object.keys(body as object).length === 1 &&
      (fault as { code?: unknown }).code === a.status &&
      typeof (fault as { message?: unknown }).message === 'string';
    if (!ok) findings.push({ what: `${a.status} not a Cinder fault: ${a.text.slice(0, 200)}`, request });
  }
}

// ---- the test -----------------------------------------------------------------------------------

test(`fuzz: bad bodies on every body route, bad headers and raw HTTP on every route (seed ${SEED})`, async (t) => {
  const started = Date.now();
  const routes = await apiRoutes();
  const bodyRoutes = routes.filter((r) => r.method === 'POST' || r.method === 'PUT' || r.method === 'PATCH');
  assert.ok(bodyRoutes.length > 60, `only ${bodyRoutes.length} body routes found`);

  const server: KindlingProcess = await startKindling({ env: { KINDLING__DEFAULT__debug: 'false' } });
  t.after(() => server.stop());
  const base = server.url;
  const H = { 'x-auth-token': 'admin:admin', 'content-type': 'application/json' };
  const call = async (method: string, url: string, body?: unknown, extra: Record<string, string> = {}) => {
    const a = await send(base, method, url, body === undefined ? undefined : json(body), { ...H, ...extra });
    return { ...a, body: a.text ? JSON.parse(a.text) : undefined };
  };
  const until = async (url: string, key: string, status: string) => {
    for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
      if ((await call('GET', url)).body?.[key]?.status === status) return;
    assert.fail(`${url} never became ${status}\n${server.logs().slice(-3000)}`);
  };

  // Real objects for the ids in the URLs.
  const p = `/v3/${PROJECT}`;
  const type = (
    await call('POST', `${p}/types`, { volume_type: { name: 'fuzz-type', extra_specs: { k1: 'v1' } } })
  ).body.volume_type.id;
  const qos = (await call('POST', `${p}/qos-specs`, { qos_specs: { name: 'fuzz-qos', k1: 'v1' } })).body
    .qos_specs.id;
  const groupType = (
    await call(
      'POST',
      `${p}/group_types`,
      { group_type: { name: 'fuzz-gt', group_specs: { gk: 'gv' } } },
      { 'openstack-api-version': 'volume 3.11' },
    )
  ).body.group_type.id;
  for (
    let i = 0;
    i < 100 && (await call('GET', `${p}/scheduler-stats/get_pools`)).body?.pools?.length !== 1;
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
  const volume = (
    await call('POST', `${p}/volumes`, { volume: { size: 1, name: 'fuzz-vol', metadata: { mk: 'mv' } } })
  ).body.volume.id;
  await until(`${p}/volumes/${volume}`, 'volume', 'available');
  const snapshot = (
    await call('POST', `${p}/snapshots`, {
      snapshot: { volume_id: volume, name: 'fuzz-snap', metadata: { mk: 'mv' } },
    })
  ).body.snapshot.id;
  await until(`${p}/snapshots/${snapshot}`, 'snapshot', 'available');
  const backup = (await call('POST', `${p}/backups`, { backup: { volume_id: volume, name: 'fuzz-backup' } }))
    .body.backup.id;
  await until(`${p}/backups/${backup}`, 'backup', 'available');
  await until(`${p}/volumes/${volume}`, 'volume', 'available');
  const resources: Resources = { volume, snapshot, backup, type, qos, groupType };

  const dbFile = join(server.stateDir, 'kindling.sqlite');
  const before = tableRows(dbFile);
  const findings: Finding[] = [];
  /** With FUZZ_BISECT: whether `request` was the first to change a row (then it is a finding). */
  let bisected = false;
  const bisect = (request: string) => {
    if (!BISECT || bisected) return;
    const diff = differences(before, tableRows(dbFile));
    if (diff.length === 0) return;
    bisected = true;
    findings.push({ what: `changed rows: ${diff.join('; ')}`, request });
  };
  const statuses = new Map<string, number>();
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);

  // 1. Bad bodies on every body route (both URL forms: with and without the project id).
  type BodyJob = { method: string; url: string; body: BadBody; headers: Record<string, string> };
  const perRoute: BodyJob[][] = [];
  for (const [i, r] of bodyRoutes.entries()) {
    const jobs: BodyJob[] = [];
    perRoute.push(jobs);
    const envelopes = envelopesOf(r.url);
    const urls = r.url.includes('/os-services/:action')
      ? SERVICE_ACTIONS.map((a) => concreteUrl(r.url, resources).replace('/enable', `/${a}`))
      : [concreteUrl(r.url, resources)];
    const samples = fc.sample(badBodies(envelopes, r.url.includes('/os-services/')), {
      numRuns: BODIES_PER_ROUTE,
      seed: SEED + i,
    });
    for (const [j, body] of samples.entries()) {
      const version = ['volume 3.0', 'volume 3.55', 'volume 3.70'][j % 3]!;
      jobs.push({
        method: r.method,
        url: urls[j % urls.length]!,
        body,
        headers: { ...H, 'openstack-api-version': version },
      });
    }
  }
  // NOTE: interleaved (each route's first body, then each route's second, …), so a run cut short
  // by its time budget still covers every route.
  const bodyJobs = Array.from({ length: BODIES_PER_ROUTE }, (_, j) =>
    perRoute.map((jobs) => jobs[j]!),
  ).flat();
  const fuzzStart = Date.now();
  const sentBodies = await pool(bodyJobs, CONCURRENCY, fuzzStart + BUDGET_MS * 0.6, async (job) => {
    const req = describeRequest(job.method, job.url, job.headers, job.body.bytes);
    try {
      const a = await send(base, job.method, job.url, job.body.bytes, job.headers);
      count(`${job.body.kind} → ${a.status}`);
      if (a.status < 400 && !noauthHandshake(a) && !emptyOptionalBody(job.url, job.body.bytes))
        findings.push({
          what: `${a.status}: a bad body (${job.body.kind}) was accepted: ${a.text.slice(0, 200)}`,
          request: req,
        });
      check(a, req, findings);
    } catch (e) {
      findings.push({ what: `no answer: ${(e as Error).message}`, request: req });
    }
    bisect(req);
  });

  // 2. Bad headers on every route that reads a body or only reads (a DELETE with odd headers
  // would still delete; associate/disassociate are GETs that change associations).
  // export_record is a GET that writes the backup's host (as Cinder's `backup.save()`).
  const headerRoutes = routes.filter(
    (r) => r.method !== 'HEAD' && r.method !== 'DELETE' && !/\/((dis)?associate|export_record)/.test(r.url),
  );
  const headerJobs = fc.sample(
    fc.record({
      route: fc.constantFrom(...headerRoutes),
      headers: fc.dictionary(fc.constantFrom(...FUZZED_HEADERS), headerValue, { minKeys: 1, maxKeys: 3 }),
      body: fc.option(notAnObject.map(json), { nil: undefined }),
    }),
    { numRuns: HEADER_REQUESTS, seed: SEED + 10_000 },
  );
  const sentHeaders = await pool(
    headerJobs,
    CONCURRENCY,
    fuzzStart + BUDGET_MS * 0.85,
    async ({ route, headers, body }) => {
      const method = route.method;
      // NOTE: a body only where one is read, so nothing valid reaches a POST.
      const payload = method === 'POST' || method === 'PUT' ? (body ?? utf8('{')) : undefined;
      const url = concreteUrl(route.url, resources);
      const h = { ...H, ...headers };
      const req = describeRequest(method, url, h, payload);
      try {
        const a = await send(base, method, url, payload, h);
        count(`headers ${method} → ${a.status}`);
        if (payload && a.status < 400 && !noauthHandshake(a))
          findings.push({ what: `${a.status}: a bad body was accepted`, request: req });
        check(a, req, findings);
      } catch (e) {
        // NOTE: Node's client refuses some header values itself; that is not the server's answer.
        if (!/Invalid character|ERR_INVALID_CHAR|Invalid value/i.test((e as Error).message))
          findings.push({ what: `no answer: ${(e as Error).message}`, request: req });
      }
      bisect(req);
    },
  );

  // 3. Raw HTTP: bytes Node's client will not send (bad percent-encoding, control characters,
  // Latin-1 in header values, broken chunking, oversized headers).
  const rawPaths = routes.filter((r) => r.method !== 'HEAD').map((r) => concreteUrl(r.url, resources));
  const rawJobs = fc.sample(
    fc.record({
      path: fc.constantFrom(...rawPaths),
      mangle: fc.constantFrom(
        'percent',
        'control',
        'latin1-header',
        'chunked',
        'big-header',
        'content-length',
        'method',
        'version',
      ),
      n: fc.nat(),
    }),
    { numRuns: RAW_REQUESTS, seed: SEED + 20_000 },
  );
  const sentRaw = await pool(rawJobs, CONCURRENCY, fuzzStart + BUDGET_MS, async ({ path, mangle, n }) => {
    let line = `POST ${path} HTTP/1.1`;
    let headers = `Host: fuzz\r\nX-Auth-Token: admin:admin\r\nContent-Type: application/json\r\nConnection: close\r\n`;
    let body = '{"zz": 1}';
    if (mangle === 'percent')
      line = `GET ${path}/%${['zz', 'E0%A4', 'C0%80', 'ED%A0%80', 'FF', ''][n % 6]} HTTP/1.1`;
    if (mangle === 'control') line = `GET ${path}\x01\x7f HTTP/1.1`;
    if (mangle === 'latin1-header')
      headers += `OpenStack-API-Version: volume 3.\xe9\xff\r\nX-Auth-Token2: \xc3\x28\r\n`;
    if (mangle === 'chunked') {
      headers += 'Transfer-Encoding: chunked\r\n';
      body = [
        'zz\r\n{}\r\n0\r\n\r\n',
        '5\r\n{"a"\r\nffffffffffffffff\r\n',
        '-1\r\n\r\n',
        '3\r\n{}}\r\n0\r\n\r\n',
      ][n % 4]!;
    }
    if (mangle === 'big-header') headers += `X-Big: ${'b'.repeat(16_384 + (n % 10_000))}\r\n`;
    if (mangle === 'content-length')
      headers += [
        'Content-Length: abc\r\n',
        'Content-Length: -5\r\n',
        'Content-Length: 3\r\nContent-Length: 4\r\n',
        'Content-Length: 99999999999999999999\r\n',
      ][n % 4];
    else if (mangle !== 'chunked') headers += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    if (mangle === 'method') line = `${['BREW', 'G E T', 'PUT\x00', 'CONNECT'][n % 4]} ${path} HTTP/1.1`;
    if (mangle === 'version') line = `GET ${path} HTTP/${['9.9', '1', 'x', '1.1.1'][n % 4]}`;
    const bytes = Buffer.from(`${line}\r\n${headers}\r\n${body}`, 'latin1');
    const text = await sendRaw(base, bytes);
    const req = `raw ${mangle}: ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    count(`raw ${mangle} → ${status}`);
    if (status === 0) return bisect(req); // closed without an answer (Node does, for some framing errors)
    const [head = '', ...rest] = text.split('\r\n\r\n');
    const headerMap: Record<string, string> = {};
    for (const l of head.split('\r\n').slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headerMap[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    if (status < 400) findings.push({ what: `${status}: a mangled request was accepted`, request: req });
    check({ status, headers: headerMap, text: rest.join('\r\n\r\n') }, req, findings);
    bisect(req);
  });

  // The server is still serving, logged no error, and nothing changed.
  const alive = await call('GET', `${p}/volumes/${volume}`);
  assert.equal(alive.status, 200, 'the server still answers');
  assert.equal(alive.body.volume.status, 'available');
  const changed = differences(before, tableRows(dbFile));
  const errors = server
    .logs()
    .split('\n')
    .filter((l) => /"level":(50|60)/.test(l));

  const sent = sentBodies + sentHeaders + sentRaw;
  const cut = bodyJobs.length + headerJobs.length + rawJobs.length - sent;
  t.diagnostic(
    `seed ${SEED}: ${sent} requests (${sentBodies} bad bodies, ${sentHeaders} with bad headers, ${sentRaw} raw) on ${bodyRoutes.length} body routes in ${Date.now() - started} ms${cut ? `; ${cut} left out by the ${BUDGET_MS} ms budget` : ''}`,
  );
  const byKind = new Map<string, string[]>();
  for (const [key, n] of [...statuses].sort()) {
    const [kind = '', status = ''] = key.split(' → ');
    byKind.set(kind, [...(byKind.get(kind) ?? []), `${status}×${n}`]);
  }
  for (const [kind, answers] of byKind) t.diagnostic(`${kind}: ${answers.join(', ')}`);
  const problems: string[] = [];
  if (findings.length > 0)
    problems.push(
      `${findings.length} bad answers:\n${findings
        .slice(0, 25)
        .map((f) => `- ${f.what}\n    ${f.request}`)
        .join('\n')}`,
    );
  // NOTE: however slow the machine, every body route must have had a fair share.
  const perRouteSent = Math.floor(sentBodies / bodyRoutes.length);
  if (perRouteSent < 20) problems.push(`only ${perRouteSent} bad bodies per route were sent in the budget`);
  if (changed.length > 0) problems.push(`rows changed:\n${changed.join('\n')}`);
  if (errors.length > 0) problems.push(`the server logged errors:\n${errors.slice(0, 10).join('\n')}`);
  assert.equal(problems.length, 0, `FUZZ_SEED=${SEED} replays this run.\n${problems.join('\n')}`);
});
