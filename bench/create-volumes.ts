/**
 * Volume create / list benchmark against a running Kindling (or any Cinder v3 endpoint that takes
 * noauth tokens):
 *
 *     npx tsx bench/create-volumes.ts --url http://127.0.0.1:8776 [--total 200] [--write docs/performance.md]
 *
 * For each concurrency (default 1, 8 and 32) it creates `--total` 1 GiB volumes with closed-loop
 * workers and measures POST→202 and POST→`available` latency and creates/s to available; with the
 * last phase's volumes still present it times `GET /volumes/detail?limit=1000` and `GET /volumes`.
 * Every volume it created is deleted (and waited for) after each phase. After the last phase it
 * also measures deletes/s (all but `--detail-volumes` of its volumes deleted with as many DELETEs
 * in flight as its concurrency, until gone) and `GET /volumes/detail` requests/s with
 * `--detail-volumes` (100) volumes present (`--detail-seconds`, closed loop, that many
 * connections). With `--server-pid` it reports the server's RSS: idle before the first create, the
 * peak while it runs, and at the end. With `--cpu-of api=PID,postgres=@postgres,…` it reports the
 * CPU time each named process (or every process of a user) used per create in each phase, beside
 * the whole machine's (bench/lib/process-cpu.ts). It first makes the project's volume and gigabyte quotas
 * unlimited (unless `--keep-quota`). With `--projects N` the workers create in N projects
 * (`<project>`, `<project>-1`, …) in turn, so creates do not all queue on one project's quota rows;
 * the list, delete and detail measurements are then left out. With `--keystone URL` it first takes
 * a token of Keystone user `--keystone-user` (admin) scoped to project `--project` (a name) and
 * sends it instead of noauth's `admin:<project>` (keystone mode; `bench/run-keystone.sh`).
 * Exits 1 if any create or delete failed.
 */
import { parseArgs } from 'node:util';
import { deleteAndWait } from './lib/cleanup.js';
import { cpuBetween, cpuSnapshot, machineBusyMs, parseCpuGroups, type CpuGroup } from './lib/process-cpu.js';
import { runCreatePhase, type CreatePhaseResult, type Lane } from './lib/create-phase.js';
import { issueToken } from './lib/keystone.js';
import { KindlingClient } from './lib/kindling-client.js';
import { renderTables, writeReport, type BenchReport, type ListResult } from './lib/report.js';
import { nowMs, summarize } from './lib/stats.js';
import { StatusWatcher } from './lib/status-watcher.js';
import {
  cpuMs,
  measureDeletes,
  measureRequests,
  RssSampler,
  rssMiB,
  type RequestThroughput,
} from './lib/throughput.js';

const USAGE = `usage: npx tsx bench/create-volumes.ts [--url http://127.0.0.1:8776] [--total N]
       [--concurrency 1,8,32] [--project admin] [--poll-ms 10] [--list-samples 50]
       [--warmup 10] [--keep-quota] [--write docs/performance.md]
       [--detail-volumes 100] [--detail-seconds 5] [--server-pid PID] [--cpu-of name=pid|name=@user,…] [--projects 1]
       [--keystone URL [--keystone-user admin] [--keystone-password secret]] (keystone mode)`;

interface Options {
  url: string;
  total: number;
  concurrency: number[];
  project: string;
  pollMs: number;
  listSamples: number;
  warmup: number;
  write: string | undefined;
  keepQuota: boolean;
  detailVolumes: number;
  detailSeconds: number;
  serverPid: number | undefined;
  /** `--cpu-of`: process groups whose CPU each create phase reports. */
  cpuOf: CpuGroup[];
  projects: number;
  /** Keystone mode: where to take a token scoped to `project`, and whose; unset: noauth. */
  keystone: { url: string; user: string; password: string } | undefined;
}

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${raw}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8776' },
      total: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '1,8,32' },
      project: { type: 'string', default: 'admin' },
      'poll-ms': { type: 'string', default: '10' },
      'list-samples': { type: 'string', default: '50' },
      warmup: { type: 'string', default: '10' },
      write: { type: 'string' },
      'keep-quota': { type: 'boolean', default: false },
      'detail-volumes': { type: 'string', default: '100' },
      'detail-seconds': { type: 'string', default: '5' },
      'server-pid': { type: 'string' },
      'cpu-of': { type: 'string' },
      projects: { type: 'string', default: '1' },
      keystone: { type: 'string' },
      'keystone-user': { type: 'string', default: 'admin' },
      'keystone-password': { type: 'string', default: 'secret' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.keystone !== undefined && values.projects !== '1')
    throw new Error('--keystone takes a token of one project: it cannot be used with --projects');
  const concurrency = values.concurrency.split(',').map((c) => positiveInt('concurrency', c.trim()));
  if (concurrency.some((c) => c === 0)) throw new Error('--concurrency values must be at least 1');
  return {
    url: values.url
      .split(',')
      .map((u) => u.trim().replace(/\/+$/, ''))
      .join(','),
    total: positiveInt('total', values.total),
    concurrency,
    project: values.project,
    pollMs: positiveInt('poll-ms', values['poll-ms']),
    listSamples: positiveInt('list-samples', values['list-samples']),
    warmup: positiveInt('warmup', values.warmup),
    write: values.write,
    keepQuota: values['keep-quota'],
    detailVolumes: positiveInt('detail-volumes', values['detail-volumes']),
    detailSeconds: positiveInt('detail-seconds', values['detail-seconds']),
    serverPid:
      values['server-pid'] === undefined ? undefined : positiveInt('server-pid', values['server-pid']),
    cpuOf: values['cpu-of'] === undefined ? [] : parseCpuGroups(values['cpu-of']),
    projects: Math.max(1, positiveInt('projects', values.projects)),
    keystone:
      values.keystone === undefined
        ? undefined
        : { url: values.keystone, user: values['keystone-user'], password: values['keystone-password'] },
  };
}

async function timeList(
  client: KindlingClient,
  path: string,
  samples: number,
  present: number,
): Promise<ListResult> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = nowMs();
    await client.expect(200, 'GET', path);
    ms.push(nowMs() - t0);
  }
  return { request: `GET ${path}`, volumesPresent: present, latency: summarize(ms) };
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const connections = Math.max(...opts.concurrency) + 4;
  const ks = opts.keystone;
  const issued = ks && (await issueToken(ks.url, ks.user, opts.project, ks.password));
  const lanes: Lane[] = Array.from({ length: opts.projects }, (_, i) => {
    const c = issued
      ? new KindlingClient(opts.url, issued.projectId, connections, issued.token)
      : new KindlingClient(opts.url, i === 0 ? opts.project : `${opts.project}-${i}`, connections);
    return { client: c, watcher: new StatusWatcher(c, opts.pollMs) };
  });
  const client = lanes[0]!.client;
  const phases: CreatePhaseResult[] = [];
  const lists: ListResult[] = [];
  const throughput: RequestThroughput[] = [];
  let deletes: BenchReport['deletes'];
  const cleanupFailures: string[] = [];
  const idleRss = opts.serverPid === undefined ? undefined : rssMiB(opts.serverPid);
  const sampler = opts.serverPid === undefined ? undefined : new RssSampler(opts.serverPid);
  /** Deletes `ids` (made in `laneOf[i]`) through their own project's client. */
  const cleanup = async (ids: string[], laneOf: number[]): Promise<void> => {
    for (const [l, lane] of lanes.entries()) {
      const mine = ids.filter((_, i) => (laneOf[i] ?? 0) === l);
      if (mine.length > 0) cleanupFailures.push(...(await deleteAndWait(lane.client, mine)));
    }
  };
  try {
    if (!opts.keepQuota) for (const lane of lanes) await lane.client.unlimitedQuota(lane.client.project);
    if (opts.warmup > 0) {
      console.error(`warm-up: ${opts.warmup} creates`);
      const warm = await runCreatePhase(lanes, 1, opts.warmup);
      await cleanup(warm.createdIds, warm.createdLanes);
    }
    for (const [i, c] of opts.concurrency.entries()) {
      console.error(`concurrency ${c}: ${opts.total} creates`);
      const cpu0 = opts.serverPid === undefined ? Number.NaN : cpuMs(opts.serverPid);
      const groups0 = cpuSnapshot(opts.cpuOf);
      const busy0 = machineBusyMs();
      const phase = await runCreatePhase(lanes, c, opts.total);
      if (opts.serverPid !== undefined) phase.serverCpuMs = cpuMs(opts.serverPid) - cpu0;
      if (opts.cpuOf.length > 0) {
        phase.cpuByGroup = cpuBetween(groups0, cpuSnapshot(opts.cpuOf));
        phase.machineBusyMs = machineBusyMs() - busy0;
      }
      phases.push(phase);
      try {
        if (i === opts.concurrency.length - 1 && lanes.length === 1) {
          const present = (await client.listDetail('limit=1000')).length;
          console.error(`list latency with ${present} volumes present`);
          const base = client.base;
          lists.push(await timeList(client, `${base}/volumes/detail?limit=1000`, opts.listSamples, present));
          lists.push(await timeList(client, `${base}/volumes`, opts.listSamples, present));
          const keep = phase.createdIds.slice(0, opts.detailVolumes);
          const gone = phase.createdIds.slice(opts.detailVolumes);
          if (gone.length > 0) {
            console.error(`deleting ${gone.length} volumes, ${c} at a time`);
            deletes = await measureDeletes(client, gone, c);
            cleanupFailures.push(...deletes.failed);
          }
          if (opts.detailSeconds > 0) {
            const n = (await client.listDetail('limit=1000')).length;
            console.error(`GET /volumes/detail for ${opts.detailSeconds} s with ${n} volumes present`);
            throughput.push(
              await measureRequests(client, `${base}/volumes/detail`, c, opts.detailSeconds, n),
            );
          }
          phase.createdIds = keep;
          phase.createdLanes = keep.map(() => 0);
        }
      } finally {
        await cleanup(phase.createdIds, phase.createdLanes);
      }
    }
  } finally {
    for (const lane of lanes) await lane.client.close();
  }
  const rss =
    sampler === undefined || idleRss === undefined || opts.serverPid === undefined
      ? undefined
      : { idleMiB: idleRss, peakMiB: sampler.stop(), endMiB: rssMiB(opts.serverPid) };
  const report: BenchReport = {
    url: opts.url,
    pollMs: opts.pollMs,
    phases,
    lists,
    cleanupFailures,
    deletes,
    throughput,
    rss,
  };
  console.log(renderTables(report));
  if (opts.write !== undefined) {
    await writeReport(opts.write, report);
    console.error(`wrote ${opts.write}`);
  }
  const failed = phases.some((p) => p.errors.length > 0) || cleanupFailures.length > 0;
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
