/**
 * The distributed test Kindling: `kindling api`, `scheduler` and one `volume` process per enabled
 * backend as separate OS processes (cluster.ts) on a fresh PostgreSQL database and a
 * private RabbitMQ exchange, driven over HTTP. The test's `KINDLING_*` overrides go to every
 * process's environment, where they win over the generated cinder.conf, as they would embedded.
 *
 * Starting the processes costs seconds of CPU, so a test file reuses them: `close()` hands the
 * processes back, and the next test of the file with the same overrides and options gets them
 * after the database is put back as it was when they had started (test/support/database-snapshot.ts),
 * the volume files are removed and the notification log is new. Anything that would not be fresh
 * makes the harness start new processes instead: a test that touched `k.cluster` (it may have
 * stopped or restarted one), `fresh: true`, a faked capacity (the schedulers' in-memory view of
 * it outlives the database rows), or work that does not settle. All processes stop when the file ends.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { CoreDeps } from '../../src/common/deps.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { parseTransportUrl } from '../../src/rpc/amqp/transport-url.js';
import { DRIVER_FAULTS_ENV } from './driver-faults.js';
import { freshDatabaseUrl, unavailable, type FreshDatabase } from './dialects.js';
import { RABBIT_URL, startCluster, type Cluster } from './cluster.js';
import {
  busyRows,
  matchesSnapshot,
  restoreSnapshot,
  takeSnapshot,
  type DatabaseSnapshot,
} from './database-snapshot.js';
import { httpRequest } from './http-request.js';
import { NotificationLog } from './notification-log.js';
import { consumeNotifications, type NotificationQueue } from './notification-queue.js';
import type { StartOptions, TestKindling } from './types.js';
import { untilReady } from './wait.js';

/** Overrides the harness itself sets; a test that sets them would cut the processes off. */
const HARNESS_OWNED =
  /^KINDLING_(PORT|HOST|STATE_DIR|CONFIG)$|^KINDLING__default__(transport_url|control_exchange|state_path|osapi_volume_listen(_port)?)$|^KINDLING__database__connection$/i;

/** How long a reused set of processes may take to finish the previous test's work. */
const SETTLE_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rabbitUnreachable(): Promise<string | undefined> {
  const h = parseTransportUrl(RABBIT_URL).hosts[0]!;
  const where = `RabbitMQ unreachable at ${h.hostname}:${h.port}`;
  return new Promise((done) => {
    const s = connect({ host: h.hostname, port: h.port });
    s.setTimeout(3000);
    s.once('connect', () => (s.destroy(), done(undefined)));
    s.once('error', (e) => done(`${where}: ${e.message}`));
    s.once('timeout', () => (s.destroy(), done(`${where}: timeout`)));
  });
}

let reachable: Promise<void> | undefined;

/** Throws, loudly, when PostgreSQL or RabbitMQ cannot be reached: distributed mode needs both. */
function requireServers(): Promise<void> {
  reachable ??= (async () => {
    const why = [await unavailable('postgres'), await rabbitUnreachable()].filter(Boolean);
    if (why.length)
      throw new Error(
        `KINDLING_TEST_MODE=distributed needs PostgreSQL and RabbitMQ (KINDLING_TEST_POSTGRES_URL, KINDLING_TEST_RABBIT_URL): ${why.join('; ')}`,
      );
  })();
  return reachable;
}

/** A CoreDeps with only what exists outside the processes: `config` and `dbh`. */
function partialCore(config: Config, dbh: DatabaseHandle): CoreDeps {
  const present: Partial<CoreDeps> = { config, dbh };
  return new Proxy(present as CoreDeps, {
    get(target, prop) {
      if (prop in target) return Reflect.get(target, prop) as unknown;
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      throw new Error(
        `k.core.${prop} lives in the service processes (KINDLING_TEST_MODE=distributed); only k.core.config and k.core.dbh exist here`,
      );
    },
  });
}

function embeddedOnly(what: string): never {
  throw new Error(`${what} exists only in embedded mode; this test runs with KINDLING_TEST_MODE=distributed`);
}

/** One set of processes with its database, queues and state. */
interface Deployment {
  readonly key: string;
  readonly cluster: Cluster;
  readonly config: Config;
  readonly dbh: DatabaseHandle;
  /** Where the notification consumer delivers (a fresh log per test). */
  log: NotificationLog;
  snapshot: DatabaseSnapshot | undefined;
  busy: boolean;
  /** Not to be handed out again. */
  spoiled: boolean;
  stop(): Promise<void>;
}

const pool: Deployment[] = [];

async function startDeployment(
  key: string,
  envOverrides: Record<string, string>,
  opts: StartOptions,
): Promise<Deployment> {
  const wanted = loadConfig({ env: envOverrides });
  const exchange = `kindling_test_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = { ...envOverrides };
  if (opts.driverFaults) env[DRIVER_FAULTS_ENV] = JSON.stringify(opts.driverFaults);

  let database: FreshDatabase | undefined;
  let queue: NotificationQueue | undefined;
  let cluster: Cluster | undefined;
  let dbh: DatabaseHandle | undefined;
  const stop = async () => {
    await cluster?.stop();
    await queue?.close().catch(() => {});
    await dbh?.close();
    await database?.drop();
  };
  try {
    database = await freshDatabaseUrl('postgres');
    const d: { log: NotificationLog } = { log: new NotificationLog() };
    queue = await consumeNotifications(RABBIT_URL, exchange, (n) => d.log.send(n));
    cluster = await startCluster({
      databaseUrl: database.url,
      backends: Object.keys(wanted.backends),
      env,
      exchange,
      host: wanted.DEFAULT.host,
      schedulers: opts.schedulers ?? 1,
      // As `kindling serve` runs one (enable_backup defaults to true), so does the distributed run.
      backup: !/^(false|0|no|off)$/i.test(envOverrides.KINDLING__DEFAULT__enable_backup ?? 'true'),
      // Kindling's own defaults, as the embedded run has them; only the mode's adapters differ.
      tuning: {},
      volumeDirs: 'default',
      extraConfig: '[oslo_messaging_notifications]\ndriver = messagingv2\n',
    });
    dbh = await openDatabase(database.url);
    const deployment: Deployment = Object.assign(d, {
      key,
      cluster,
      // The configuration exactly as the processes resolve it: the generated file, then the overrides.
      config: loadConfig({ files: [cluster.configPath], env }),
      dbh,
      snapshot: undefined,
      busy: true,
      spoiled: false,
      stop,
    });
    return deployment;
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}

/** Removes the volume files the previous test left (the database no longer knows them). */
async function clearVolumeDirs(config: Config): Promise<void> {
  for (const b of Object.values(config.backends)) {
    const entries = await readdir(b.file_volume_dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isFile()) await rm(join(b.file_volume_dir, e.name), { force: true });
  }
}

/**
 * Makes a used deployment fresh again, or says why it cannot be: waits for the previous test's
 * work to settle, restores the database (again if a late write slipped in), clears volume files.
 */
async function refresh(d: Deployment): Promise<string | undefined> {
  const snap = d.snapshot;
  if (!snap) return 'no snapshot';
  const db = d.dbh.db;
  const end = Date.now() + SETTLE_MS;
  let busy = await busyRows(db, snap);
  while (busy.length) {
    if (Date.now() > end) return `work did not settle: ${busy.join(', ')}`;
    await sleep(100);
    busy = await busyRows(db, snap);
  }
  // NOTE: a status is written before the user message and notification that follow it.
  await sleep(300);
  for (let attempt = 0; ; attempt++) {
    const servicesChanged = await restoreSnapshot(db, snap);
    // The schedulers keep the service list for one second.
    await sleep(servicesChanged ? 1100 : 300);
    if (await matchesSnapshot(db, snap)) break;
    if (attempt === 2) return 'rows kept appearing after the restore';
  }
  await clearVolumeDirs(d.config);
  d.log = new NotificationLog();
  return undefined;
}

/** Whether processes started for these options may serve another test afterwards. */
function reusable(opts: StartOptions): boolean {
  const fakedCapacity = Object.values(opts.driverFaults ?? {}).some((f) => f.capacityGb !== undefined);
  return !opts.fresh && !fakedCapacity;
}

async function acquire(envOverrides: Record<string, string>, opts: StartOptions): Promise<Deployment> {
  const key = JSON.stringify([
    Object.entries(envOverrides).sort(([a], [b]) => a.localeCompare(b)),
    opts.driverFaults ?? null,
    opts.schedulers ?? 1,
  ]);
  if (reusable(opts))
    for (const d of pool.filter((x) => x.key === key && !x.busy && !x.spoiled)) {
      d.busy = true;
      const why = await refresh(d);
      if (!why) return d;
      // Not fresh: drop it and start anew rather than risk one test seeing another's leftovers.
      d.spoiled = true;
      pool.splice(pool.indexOf(d), 1);
      await d.stop();
    }
  const d = await startDeployment(key, envOverrides, opts);
  pool.push(d);
  if (!reusable(opts)) d.spoiled = true;
  return d;
}

async function release(d: Deployment): Promise<void> {
  if (!d.spoiled) {
    d.busy = false;
    return;
  }
  pool.splice(pool.indexOf(d), 1);
  await d.stop();
}

/** Stops every process this file started (the harness registers it to run when the file ends). */
export async function stopAllDeployments(): Promise<void> {
  const all = pool.splice(0);
  await Promise.allSettled(all.map((d) => d.stop()));
}

export async function startDistributedKindling(
  envOverrides: Record<string, string>,
  opts: StartOptions,
): Promise<TestKindling> {
  if (opts.driverFactory)
    throw new Error(
      'driverFactory is embedded only: give driverFaults (both modes) or skip in distributed mode',
    );
  const owned = Object.keys(envOverrides).filter((k) => HARNESS_OWNED.test(k));
  if (owned.length) throw new Error(`the distributed harness sets ${owned.join(', ')} itself`);
  await requireServers();

  const d = await acquire(envOverrides, opts);
  const c = d.cluster;
  let closed = false;
  const k: TestKindling = {
    mode: 'distributed',
    stateDir: c.stateDir,
    db: d.dbh.db,
    notifications: d.log,
    core: partialCore(d.config, d.dbh),
    get app(): never {
      return embeddedOnly('k.app');
    },
    get embedded(): never {
      return embeddedOnly('k.embedded');
    },
    get cluster() {
      // The test may stop or restart processes: never hand these out again.
      d.spoiled = true;
      return c;
    },
    req: (method, url, body, headers) => httpRequest(c.url, method, url, body, headers),
    logs: () => c.logs(),
    async close() {
      if (closed) return;
      closed = true;
      await release(d);
    },
  };
  if (!d.snapshot) {
    try {
      await untilReady(k, opts);
      d.snapshot = await takeSnapshot(d.dbh.db);
    } catch (e) {
      d.spoiled = true;
      await k.close();
      throw e;
    }
  }
  return k;
}
