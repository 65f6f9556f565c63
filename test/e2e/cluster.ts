/**
 * A distributed Kindling for end-to-end tests: api, scheduler and volume services as separate OS
 * processes (`kindling api|scheduler|volume`), sharing one database and one RabbitMQ.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { REPO_ROOT, baseServerEnv, freePort, waitForExit } from './harness.js';

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
  readonly services: Map<string, ServiceProcess>;
  /** Starts (or restarts) the volume service of `backend` with extra env. */
  startVolume(backend: string, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
  logs(): string;
}

export interface ClusterOptions {
  databaseUrl: string;
  backends?: string[];
  /** Extra cinder.conf text appended to the generated file. */
  extraConfig?: string;
  /** How many scheduler processes (default 1), each with its own `host`. */
  schedulers?: number;
  /** `file_volume_dir` per backend (default: under the state dir). */
  volumeDirs?: Record<string, string>;
}

const READY = /API is serving|scheduler is running|volume services are running/;

async function spawnService(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<ServiceProcess> {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/kindling.ts', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

/** Starts api + scheduler + one volume process per backend on a private exchange. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const backends = opts.backends ?? ['alpha', 'beta'];
  const root = await mkdtemp(join(tmpdir(), 'kindling-cluster-'));
  const port = await freePort();
  const exchange = `kindling_test_${randomBytes(4).toString('hex')}`;
  const conf = [
    '[DEFAULT]',
    `state_path = ${root}`,
    `osapi_volume_listen_port = ${port}`,
    `transport_url = ${RABBIT_URL}`,
    `control_exchange = ${exchange}`,
    `enabled_backends = ${backends.join(',')}`,
    'report_interval = 2',
    'backend_stats_polling_interval = 5',
    'periodic_interval = 5',
    'stuck_operation_timeout = 15',
    'quota_volumes = -1',
    'quota_gigabytes = -1',
    '[database]',
    `connection = ${opts.databaseUrl}`,
    ...backends.flatMap((b) => [
      `[${b}]`,
      'volume_driver = file',
      `file_volume_dir = ${opts.volumeDirs?.[b] ?? `${root}/volumes/${b}`}`,
    ]),
    opts.extraConfig ?? '',
  ].join('\n');
  const confPath = join(root, 'kindling.conf');
  await writeFile(confPath, conf);
  const env = { ...baseServerEnv() };
  const services = new Map<string, ServiceProcess>();
  const start = async (name: string, args: string[], extra: Record<string, string> = {}) => {
    const p = await spawnService(name, [...args, '--config-file', confPath], { ...env, ...extra });
    services.set(name, p);
    return p;
  };
  const cluster: Cluster = {
    url: `http://127.0.0.1:${port}`,
    stateDir: root,
    services,
    startVolume: (backend, extra = {}) => start(`volume-${backend}`, ['volume', '--backend', backend], extra),
    async stop() {
      for (const p of services.values()) await p.stop();
      await rm(root, { recursive: true, force: true });
    },
    logs: () => [...services.values()].map((p) => `===== ${p.name}\n${p.logs()}`).join('\n'),
  };
  try {
    // The scheduler first, so it hears the volume services' first capability reports.
    await start('scheduler', ['scheduler']);
    for (let i = 2; i <= (opts.schedulers ?? 1); i++)
      await start(`scheduler-${i}`, ['scheduler'], { KINDLING__DEFAULT__host: `scheduler-${i}` });
    for (const b of backends) await cluster.startVolume(b);
    await start('api', ['api']);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
