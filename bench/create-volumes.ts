/**
 * Volume create / list benchmark against a running Kindling (or any Cinder v3 endpoint that takes
 * noauth tokens):
 *
 *     npx tsx bench/create-volumes.ts --url http://127.0.0.1:8776 [--total 200] [--write docs/performance.md]
 *
 * For each concurrency (default 1, 8 and 32) it creates `--total` 1 GiB volumes with closed-loop
 * workers and measures POST→202 and POST→`available` latency and creates/s to available; with the
 * last phase's volumes still present it times `GET /volumes/detail?limit=1000` and `GET /volumes`.
 * Every volume it created is deleted (and waited for) after each phase. It first makes the
 * project's volume and gigabyte quotas unlimited (unless `--keep-quota`). Exits 1 if any create or
 * delete failed.
 */
import { parseArgs } from 'node:util';
import { deleteAndWait } from './lib/cleanup.js';
import { runCreatePhase, type CreatePhaseResult } from './lib/create-phase.js';
import { KindlingClient } from './lib/kindling-client.js';
import { renderTables, writeReport, type BenchReport, type ListResult } from './lib/report.js';
import { nowMs, summarize } from './lib/stats.js';
import { StatusWatcher } from './lib/status-watcher.js';

const USAGE = `usage: npx tsx bench/create-volumes.ts [--url http://127.0.0.1:8776] [--total N]
       [--concurrency 1,8,32] [--project admin] [--poll-ms 10] [--list-samples 50]
       [--warmup 10] [--keep-quota] [--write docs/performance.md]`;

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
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const concurrency = values.concurrency.split(',').map((c) => positiveInt('concurrency', c.trim()));
  if (concurrency.some((c) => c === 0)) throw new Error('--concurrency values must be at least 1');
  return {
    url: values.url.replace(/\/+$/, ''),
    total: positiveInt('total', values.total),
    concurrency,
    project: values.project,
    pollMs: positiveInt('poll-ms', values['poll-ms']),
    listSamples: positiveInt('list-samples', values['list-samples']),
    warmup: positiveInt('warmup', values.warmup),
    write: values.write,
    keepQuota: values['keep-quota'],
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
  const client = new KindlingClient(opts.url, opts.project, Math.max(...opts.concurrency) + 4);
  const watcher = new StatusWatcher(client, opts.pollMs);
  const phases: CreatePhaseResult[] = [];
  const lists: ListResult[] = [];
  const cleanupFailures: string[] = [];
  const cleanup = async (ids: string[]): Promise<void> => {
    if (ids.length > 0) cleanupFailures.push(...(await deleteAndWait(client, ids)));
  };
  try {
    if (!opts.keepQuota) await client.unlimitedQuota(opts.project);
    if (opts.warmup > 0) {
      console.error(`warm-up: ${opts.warmup} creates`);
      const warm = await runCreatePhase(client, watcher, 1, opts.warmup);
      await cleanup(warm.createdIds);
    }
    for (const [i, c] of opts.concurrency.entries()) {
      console.error(`concurrency ${c}: ${opts.total} creates`);
      const phase = await runCreatePhase(client, watcher, c, opts.total);
      phases.push(phase);
      try {
        if (i === opts.concurrency.length - 1) {
          const present = (await client.listDetail('limit=1000')).length;
          console.error(`list latency with ${present} volumes present`);
          const base = client.base;
          lists.push(await timeList(client, `${base}/volumes/detail?limit=1000`, opts.listSamples, present));
          lists.push(await timeList(client, `${base}/volumes`, opts.listSamples, present));
        }
      } finally {
        await cleanup(phase.createdIds);
      }
    }
  } finally {
    await client.close();
  }
  const report: BenchReport = { url: opts.url, pollMs: opts.pollMs, phases, lists, cleanupFailures };
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
