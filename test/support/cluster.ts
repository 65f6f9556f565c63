/**
 * A distributed Kindling for tests (the distributed test mode and the e2e tests): api, scheduler
 * and volume services as separate OS processes (`kindling api|scheduler|volume`), sharing one
 * database and one RabbitMQ.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../src/db/connection.js';
import { Topology } from '../../src/rpc/amqp/topology.js';
import { brokerConnection, deleteBrokerObjects } from './broker-connection.js';
import { REPO_ROOT, baseServerEnv, freePort, waitForExit } from './server-process.js';

export const RABBIT_URL = process.env.KINDLING_TEST_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';

/** One running service process. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  logs(): string;
  /** Resolves when the process has exited (for a kill injected by the test hook). */
  exited(ms: number): Promise<boolean>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface Cluster {
  readonly url: string;
  readonly stateDir: string;
  /** The private control exchange; RabbitMQ queue names start with `<exchange>.`. */
  readonly exchange: string;
  /** The generated cinder.conf every process reads (`--config-file`). */
  readonly configPath: string;
  readonly services: Map<string, ServiceProcess>;
  /**
   * Starts (or restarts) a volume process serving `backend`, with extra env. `name` (default
   * `volume-<backend>`) keys it in `services`: give another name to run two processes of one backend.
   */
  startVolume(backend: string, env?: Record<string, string>, name?: string): Promise<ServiceProcess>;
  /** Stops every process, deletes the cluster's queues and exchange and its state dir. */
  stop(): Promise<void>;
  logs(): string;
}

/** `[DEFAULT]` options the e2e tests run with unless `tuning` says otherwise. */
export const E2E_TUNING: Readonly<Record<string, string>> = {
  report_interval: '2',
  backend_stats_polling_interval: '5',
  periodic_interval: '5',
  stuck_operation_timeout: '15',
  quota_volumes: '-1',
  quota_gigabytes: '-1',
};

export interface ClusterOptions {
  databaseUrl: string;
  backends?: string[];
  /** Extra cinder.conf text appended to the generated file. */
  extraConfig?: string;
  /** How many scheduler processes (default 1), each with its own `host`. */
  schedulers?: number;
  /** Also start a `kindling backup` process (default false). */
  backup?: boolean;
  /**
   * `file_volume_dir` per backend (default: `<state dir>/volumes/<backend>`); `'default'` writes
   * none, so Kindling's own default applies (as in an embedded Kindling on the same state dir).
   */
  volumeDirs?: Record<string, string> | 'default';
  /** `[DEFAULT]` options written to the file (default {@link E2E_TUNING}; `{}` for Kindling's). */
  tuning?: Readonly<Record<string, string>>;
  /** Environment of every process on top of the parent's (`KINDLING_*` overrides win over the file). */
  env?: Readonly<Record<string, string>>;
  /** The control exchange (default a fresh `kindling_test_<hex>`). */
  exchange?: string;
  /**
   * `[DEFAULT] host` of the processes (default: the env's or the OS's); names their queues for the
   * clean-up when the database cannot tell (it reads the servers from the service rows).
   */
  host?: string;
}

/** Installs the faults a test names in a process's env (fault-preload.ts); nothing when none. */
const FAULT_PRELOAD = new URL('./fault-preload.ts', import.meta.url).href;

const READY = /API is serving|scheduler is running|volume services are running|backup service is running/;

async function spawnService(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  // NOTE: a ceiling, not a wait: tsx compiles each process's sources at start, which took over
  // 30 s on this 2-core machine under load (a service that fails exits and is reported at once).
  timeoutMs = 90_000,
): Promise<ServiceProcess> {
  let output = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', FAULT_PRELOAD, 'src/cmd/kindling.ts', ...args],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const append = (b: Buffer) => {
    output += b.toString('utf8');
    if (output.length > 200_000) output = output.slice(-200_000);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const proc: ServiceProcess = {
    name,
    child,
    logs: () => output,
    exited: (ms) => waitForExit(child, ms),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      if (!(await waitForExit(child, 10_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    },
  };
  const end = Date.now() + timeoutMs;
  while (!READY.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited while starting:\n${output}`);
    if (Date.now() > end) {
      await proc.stop('SIGKILL');
      throw new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return proc;
}

/**
 * Deletes the durable queues the cluster's services declared and its exchange: their names follow
 * from the topics and the servers (hosts) that listen on them. Best effort: the broker may be gone.
 */
async function deleteClusterQueues(exchange: string, queueNames: readonly string[]): Promise<void> {
  const conn = brokerConnection(RABBIT_URL);
  const topology = new Topology(exchange);
  const queues = [...new Set(queueNames)].map((name) => topology.durableQueue(name).queue.queue!);
  const work = deleteBrokerObjects(conn, queues, exchange);
  let timer: NodeJS.Timeout | undefined;
  try {
    // NOTE: the client waits for a broker that is down; a stopping cluster does not.
    await Promise.race([
      work,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('broker')), 5000))),
    ]);
  } catch {
    // NOTE: leftovers are empty queues of a private exchange; never fail a test for them.
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
    await conn.close().catch(() => {});
  }
}

/** Who listened where: each service row's topic with its host and, clustered, its cluster. */
async function serviceServers(databaseUrl: string): Promise<{ topic: string; server: string }[]> {
  const dbh = await openDatabase(databaseUrl);
  try {
    const rows = await dbh.db.selectFrom('services').select(['topic', 'host', 'cluster_name']).execute();
    return rows.flatMap((r) => [
      { topic: r.topic, server: r.host },
      ...(r.cluster_name ? [{ topic: r.topic, server: r.cluster_name }] : []),
    ]);
  } finally {
    await dbh.close();
  }
}

/**
 * Starts api + scheduler(s) + one volume process per backend on a private exchange. The scheduler
 * comes first (it registers first, as in the embedded mode, and migrates the database alone); the
 * other processes then start side by side.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const backends = opts.backends ?? ['alpha', 'beta'];
  const root = await mkdtemp(join(tmpdir(), 'kindling-cluster-'));
  let port = await freePort();
  const exchange = opts.exchange ?? `kindling_test_${randomBytes(4).toString('hex')}`;
  const tuning = opts.tuning ?? E2E_TUNING;
  const volumeDir = (b: string) =>
    opts.volumeDirs === 'default'
      ? []
      : [`file_volume_dir = ${opts.volumeDirs?.[b] ?? `${root}/volumes/${b}`}`];
  const conf = [
    '[DEFAULT]',
    `state_path = ${root}`,
    `osapi_volume_listen_port = ${port}`,
    `transport_url = ${RABBIT_URL}`,
    `control_exchange = ${exchange}`,
    `enabled_backends = ${backends.join(',')}`,
    ...Object.entries(tuning).map(([k, v]) => `${k} = ${v}`),
    '[database]',
    `connection = ${opts.databaseUrl}`,
    ...backends.flatMap((b) => [`[${b}]`, 'volume_driver = file', ...volumeDir(b)]),
    opts.extraConfig ?? '',
  ].join('\n');
  const confPath = join(root, 'kindling.conf');
  await writeFile(confPath, conf);
  const env = { ...baseServerEnv(), ...opts.env };
  const host = opts.host ?? env.KINDLING__DEFAULT__host ?? hostname();
  const schedulerHosts = [host];
  const services = new Map<string, ServiceProcess>();
  const start = async (name: string, args: string[], extra: Record<string, string> = {}) => {
    const p = await spawnService(name, [...args, '--config-file', confPath], { ...env, ...extra });
    services.set(name, p);
    return p;
  };
  /** Starts the API; on a port taken meanwhile (freePort's port is free only when asked), another. */
  const startApi = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start('api', ['api']);
      } catch (e) {
        if (attempt >= 3 || !String((e as Error).message).includes('EADDRINUSE')) throw e;
        port = await freePort();
        await writeFile(
          confPath,
          conf.replace(/^osapi_volume_listen_port = \d+$/m, `osapi_volume_listen_port = ${port}`),
        );
      }
    }
  };
  const cluster: Cluster = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    stateDir: root,
    exchange,
    configPath: confPath,
    services,
    startVolume: (backend, extra = {}, name = `volume-${backend}`) =>
      start(name, ['volume', '--backend', backend], extra),
    async stop() {
      await Promise.all([...services.values()].map((p) => p.stop()));
      const guessed = [...schedulerHosts, ...backends.map((b) => `${host}@${b}`)].map((server) => ({
        topic: server.includes('@') ? 'cinder-volume' : 'cinder-scheduler',
        server,
      }));
      const listening = await serviceServers(opts.databaseUrl).catch(() => guessed);
      await deleteClusterQueues(exchange, [
        'cinder-scheduler',
        'cinder-volume',
        'cinder-backup',
        // NOTE: `<topic>.<server>.<server>` is how older builds named a backend's own queue.
        ...listening.flatMap(({ topic, server }) => [`${topic}.${server}`, `${topic}.${server}.${server}`]),
      ]);
      await rm(root, { recursive: true, force: true });
    },
    logs: () => [...services.values()].map((p) => `===== ${p.name}\n${p.logs()}`).join('\n'),
  };
  try {
    await start('scheduler', ['scheduler']);
    const rest: Promise<unknown>[] = [];
    for (let i = 2; i <= (opts.schedulers ?? 1); i++) {
      schedulerHosts.push(`scheduler-${i}`);
      rest.push(start(`scheduler-${i}`, ['scheduler'], { KINDLING__DEFAULT__host: `scheduler-${i}` }));
    }
    for (const b of backends) rest.push(cluster.startVolume(b));
    if (opts.backup) rest.push(start('backup', ['backup']));
    rest.push(startApi());
    const started = await Promise.allSettled(rest);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
