/**
 * The scheduler's capacity claim (`claimVolumeHost`) against a backend that already holds many
 * volumes: time per claim and per volume-stats read, as the pool fills.
 *
 *     npx tsx bench/capacity-claim.ts [--db sqlite|postgres|mysql|<connection url>] [--sizes 1000,10000,50000] [--claims 500]
 *
 * `sqlite` is a fresh file in a temporary directory (the embedded default, group commit, FULL);
 * `postgres` and `mysql` make a fresh database on this machine's servers (127.0.0.1, trust / root
 * without password) and drop it after. Volumes are written straight into the database, nine in ten
 * on the measured pool; each claim places one new 1 GiB volume there. Claims run one after
 * another (what one scheduler does), so the figure is the claim's own cost: wall time (on SQLite
 * mostly the wait for its commit's WAL sync), and the CPU it cost this process.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../src/db/connection.js';
import { migrateToLatest } from '../src/db/migrator.js';
import { claimVolumeHost } from '../src/db/api/capacity-claims.js';
import { NEW_VOLUME_DEFAULTS, volumeAllocatedBy } from '../src/db/api/volumes.js';
import { serviceGetOrCreate } from '../src/db/api/services.js';
import { isoNow } from '../src/common/time.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    sizes: { type: 'string', default: '1000,10000,50000' },
    claims: { type: 'string', default: '500' },
  },
});
const sizes = args.sizes.split(',').map(Number);
const claims = Number(args.claims);
if (sizes.some((n) => !Number.isInteger(n) || n < 0) || !Number.isInteger(claims) || claims < 1)
  throw new Error('--sizes takes non-negative integers, --claims a positive one');

const POOL = 'bench@file#pool';

/** A fresh database of the kind asked for, and how to get rid of it. */
async function freshDatabase(kind: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-claim-'));
    return { url: `sqlite:///${dir}/kindling.sqlite`, drop: async () => rmSync(dir, { recursive: true }) };
  }
  const name = `kindling_claim_${process.pid}`;
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

/** A live 1 GiB volume row of project `p`, on `host` (or none yet). */
function volume(typeId: string, host: string | null, status: string) {
  return {
    ...NEW_VOLUME_DEFAULTS,
    id: randomUUID(),
    user_id: 'u',
    project_id: 'p',
    size: 1,
    status,
    availability_zone: 'nova',
    volume_type_id: typeId,
    host,
    created_at: isoNow(),
    deleted: 0 as const,
  };
}

/** Adds volumes until `target` exist, nine in ten on POOL, in batches of 500. */
async function fill(h: DatabaseHandle, from: number, target: number, typeId: string): Promise<void> {
  for (let n = from; n < target; n += 500) {
    const rows = Array.from({ length: Math.min(500, target - n) }, (_, i) =>
      volume(typeId, (n + i) % 10 === 0 ? 'other@file#pool' : POOL, 'available'),
    );
    await h.db.insertInto('volumes').values(rows).execute();
  }
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
  console.log(
    `| volumes present (${h.dialect}) | µs per claim | this process's CPU µs per claim | µs per stats read |`,
  );
  console.log('|---:|---:|---:|---:|');
  let present = 0;
  for (const size of sizes) {
    if (size > present) await fill(h, present, size, typeId);
    present = Math.max(present, size);
    const shown = present;
    // NOTE: a bulk fill leaves PostgreSQL dead row versions that a running service would have had
    // vacuumed away long since; measure the steady state.
    if (h.dialect === 'postgres') await sql.raw('VACUUM ANALYZE').execute(h.db);
    const rows = Array.from({ length: claims }, () => volume(typeId, null, 'creating'));
    await h.db.insertInto('volumes').values(rows).execute();
    const ids = rows.map((r) => r.id);
    present += claims;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const volumeId of ids)
      await claimVolumeHost(h, { volumeId, volumeHost: POOL, size: 1, limitGb: 1e9, values: {} });
    const perClaim = ((performance.now() - t0) * 1000) / claims;
    const cpu = process.cpuUsage(cpu0);
    const cpuPerClaim = (cpu.user + cpu.system) / claims;
    const t1 = performance.now();
    for (let i = 0; i < 50; i++) await volumeAllocatedBy(h.db, 'host', 'bench@file#');
    const perStats = ((performance.now() - t1) * 1000) / 50;
    console.log(`| ${shown} | ${perClaim.toFixed(0)} | ${cpuPerClaim.toFixed(0)} | ${perStats.toFixed(0)} |`);
  }
} finally {
  await h.close();
  await fresh.drop();
}
