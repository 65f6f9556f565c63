/**
 * What a create's database work and the periodic tasks cost as the tables they read grow:
 * - the scheduler's capacity claim (`claimVolumeHost`) and a volume service's stats read, with N
 *   volumes already on the backend;
 * - a quota reserve and its commit (`QuotaEngine.reserve`, `commit`: every create), with N rows of
 *   project limits (`quotas`, N / 5 projects with five limits of their own);
 * - the reservation expiry (`QuotaEngine.expire`), with N finished reservations kept (every create
 *   and delete leaves a few, until `kindling manage db purge`);
 * - the first page of a project's volume list (`volumeGetAll`, newest first, 100 to a page, as
 *   `GET /volumes/detail?limit=100` reads it), and of the same list filtered by a status none has,
 *   with the N volumes in that one project.
 *
 *     npx tsx bench/db-growth.ts [--db sqlite|postgres|mysql|<connection url>] [--sizes 1000,10000,50000] [--ops 300]
 *
 * `sqlite` is a fresh file in a temporary directory (the embedded default, group commit, FULL);
 * `postgres` and `mysql` make a fresh database on this machine's servers (127.0.0.1, trust / root
 * without password) and drop it after. Rows are written straight into the database. Operations run
 * one after another, so each figure is one operation's own cost: wall time (on SQLite a commit's
 * includes its wait for the WAL sync) and, for the claim and the reserve, the CPU it cost this
 * process (on SQLite, all of the work but the sync).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/connection.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { claimVolumeHost } from '../src/db/api/capacity-claims.js';
import { volumeAllocatedBy, volumeGetAll } from '../src/db/api/volumes.js';
import { liveVolumeRow } from './lib/volume-rows.js';
import { serviceGetOrCreate } from '../src/db/api/services.js';
import { QuotaEngine } from '../src/quota/quota-engine.js';
import { isoNow } from '../src/common/time.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    sizes: { type: 'string', default: '1000,10000,50000' },
    ops: { type: 'string', default: '300' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const ops = Number(args.ops);
if (sizes.some((n) => !Number.isInteger(n) || n < 0) || !Number.isInteger(ops) || ops < 1)
  throw new Error('--sizes takes non-negative integers, --ops a positive one');

const POOL = 'bench@file#pool';
const LIMITED = ['volumes', 'gigabytes', 'snapshots', 'backups', 'groups'];

/** A fresh database of the kind asked for, and how to get rid of it. */
async function freshDatabase(kind: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-growth-'));
    return { url: `sqlite:///${dir}/kindling.sqlite`, drop: async () => rmSync(dir, { recursive: true }) };
  }
  const name = `kindling_growth_${process.pid}`;
  const server =
    kind === 'postgres'
      ? 'postgresql://postgres@127.0.0.1:5432'
      : kind === 'mysql'
        ? 'mysql://root@127.0.0.1:3306'
        : undefined;
  if (!server) return { url: kind, drop: async () => {} };
  const admin = await openDatabase(`${server}/${kind === 'postgres' ? 'postgres' : 'mysql'}`);
  await sql.raw(`CREATE DATABASE ${name}`).execute(admin.db);
  return {
    url: `${server}/${name}`,
    drop: async () => {
      await sql.raw(`DROP DATABASE IF EXISTS ${name}`).execute(admin.db);
      await admin.close();
    },
  };
}

/** A live volume of project `p`, on `host` (or none yet). */
const volume = (typeId: string, host: string | null, status: string) =>
  liveVolumeRow({ typeId, host, status });

/** The rows made by `row(i)` for `count` values of i from `from`, 500 to a batch. */
function* batches<T>(from: number, count: number, row: (i: number) => T): Generator<T[]> {
  for (let n = 0; n < count; n += 500)
    yield Array.from({ length: Math.min(500, count - n) }, (_, i) => row(from + n + i));
}

/** Microseconds per run of `op`, run `times` times one after another; and this process's CPU. */
async function timed(
  times: number,
  op: (i: number) => Promise<unknown>,
): Promise<{ us: number; cpu: number }> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < times; i++) await op(i);
  const cpu = process.cpuUsage(cpu0);
  return { us: ((performance.now() - t0) * 1000) / times, cpu: (cpu.user + cpu.system) / times };
}

const fresh = await freshDatabase(args.db);
const h = await openDatabase(fresh.url);
try {
  const typeId = randomUUID();
  const res = await migrateToLatest(h, { defaultVolumeTypeId: typeId, quotaClassDefaults: {} });
  if (res.error) throw res.error instanceof Error ? res.error : new Error(JSON.stringify(res.error));
  await serviceGetOrCreate(h.db, {
    host: 'bench@file',
    binary: 'cinder-volume',
    topic: 'cinder-volume',
    availability_zone: 'nova',
  });
  const quotas = new QuotaEngine(h, {
    defaults: {},
    reservation_expire: 86400,
    use_default_quota_class: true,
  });
  console.log(
    `| rows present (${h.dialect}) | claim µs | claim CPU µs | stats read µs | reserve + commit µs | reserve + commit CPU µs | reservation expiry µs | list page µs | filtered list page µs |`,
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const present = { volumes: 0, quotas: 0, reservations: 0 };
  for (const size of sizes) {
    // Nine volumes in ten on the measured pool; then the claims, each placing a new one there.
    const onPool = (i: number) => volume(typeId, i % 10 === 0 ? 'other@file#pool' : POOL, 'available');
    for (const rows of batches(present.volumes, size - present.volumes, onPool))
      await h.db.insertInto('volumes').values(rows).execute();
    const claimed = Array.from({ length: ops }, () => volume(typeId, null, 'creating'));
    await h.db.insertInto('volumes').values(claimed).execute();
    present.volumes = Math.max(present.volumes, size) + ops;
    // Projects with limits of their own, five rows each, unlimited.
    const now = isoNow();
    const limit = (i: number) => ({
      project_id: `project-${Math.floor(i / LIMITED.length)}`,
      resource: LIMITED[i % LIMITED.length]!,
      hard_limit: -1,
      allocated: 0,
      created_at: now,
      deleted: 0 as const,
    });
    for (const rows of batches(present.quotas, size - present.quotas, limit))
      await h.db.insertInto('quotas').values(rows).execute();
    // Finished reservations (as every reserve leaves once committed).
    const finished = (i: number) => ({
      uuid: randomUUID(),
      usage_id: 1,
      project_id: `project-${i % 1000}`,
      resource: 'volumes',
      delta: 1,
      expire: now,
      created_at: now,
      deleted: 1 as const,
      deleted_at: now,
    });
    for (const rows of batches(present.reservations, size - present.reservations, finished))
      await h.db.insertInto('reservations').values(rows).execute();
    present.quotas = Math.max(present.quotas, size);
    present.reservations = Math.max(present.reservations, size);
    // NOTE: a bulk fill leaves PostgreSQL dead row versions that a running service would have had
    // vacuumed away long since; measure the steady state.
    if (h.dialect === 'postgres') await sql.raw('VACUUM ANALYZE').execute(h.db);

    const claim = await timed(ops, (i: number) =>
      claimVolumeHost(h, { volumeId: claimed[i]!.id, volumeHost: POOL, size: 1, limitGb: 1e9, values: {} }),
    );
    const stats = await timed(50, () => volumeAllocatedBy(h.db, 'host', 'bench@file#'));
    const project = `project-${Math.floor(size / LIMITED.length / 2)}`;
    const reserve = await timed(ops, async () =>
      quotas.commit(await quotas.reserve(project, { volumes: 1, gigabytes: 1 })),
    );
    const expiry = await timed(20, () => quotas.expire());
    const newest = { limit: 100, sort: [{ key: 'created_at', dir: 'desc' as const }] };
    const list = await timed(20, () => volumeGetAll(h.db, { project_id: 'p' }, newest));
    const filtered = await timed(20, () =>
      volumeGetAll(h.db, { project_id: 'p', columns: { status: 'downloading' } }, newest),
    );
    console.log(
      `| ${size} | ${claim.us.toFixed(0)} | ${claim.cpu.toFixed(0)} | ${stats.us.toFixed(0)} | ${reserve.us.toFixed(0)} | ${reserve.cpu.toFixed(0)} | ${expiry.us.toFixed(0)} | ${list.us.toFixed(0)} | ${filtered.us.toFixed(0)} |`,
    );
  }
} finally {
  await h.close();
  await fresh.drop();
}
