/**
 * Where a server's CPU time went, from a V8 CPU profile (`node --cpu-prof`): each sample is given
 * to the first of the parts below that its stack is inside, innermost frame first, and the parts
 * are listed with their share of all samples (idle included).
 *
 *     KINDLING_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" bench/run-embedded.sh --total 1000 --concurrency 32
 *     npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile
 *
 * With `--top N` it also lists the N functions with the most samples of their own; with
 * `--last S` it reads only the samples of the profile's last S seconds (the create benchmark's
 * last phase is its `GET /volumes/detail` run: `--detail-seconds 10`, then `--last 9`); with
 * `--from S --to S` only those between S and S seconds after the profile's start (a phase found
 * in the server's log or by its busy seconds).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  endTime: number;
  startTime: number;
}

/** The parts, tested in this order on each frame (a frame's url and function name). */
const PARTS: readonly [string, RegExp][] = [
  ['idle', /^ \(idle\)$/],
  ['garbage collection', /\(garbage collector\)/],
  ['WAL sync (group commit)', /group-commit-sqlite\/wal-sync/],
  ['SQLite: statements, BEGIN, COMMIT', /better-sqlite3|group-commit-sqlite|sqlite-setup/],
  ['kysely: building, compiling, executing', /\/kysely\//],
  ['pino (logging)', /\/pino\/|sonic-boom/],
  ['fastify and HTTP', /\/fastify\/|find-my-way|avvio|node:_http|node:http|node:net/],
  ['file driver', /\/volume\/drivers\/file-/],
  ['metrics (prom-client)', /prom-client|\/metrics\//],
  ['flow traces', /\/flow-trace\//],
  ['notifications', /\/notify\//],
  ['API views', /\/api\/views\//],
  ['flow engine', /\/flow\//],
  ['quota', /\/quota\//],
  ['db/api', /\/db\/api\//],
  ['scheduler', /\/scheduler\//],
  ['message bus (rpc)', /\/rpc\//],
  ['volume services and flows', /\/volume\//],
  ['API controllers', /\/api\//],
  ['module loading', /modules\/(esm|cjs)/],
  ['async_hooks (AsyncLocalStorage)', /async_hooks/],
];

function partOf(frame: CallFrame): string | undefined {
  const s = `${frame.url} ${frame.functionName}`;
  return PARTS.find(([, re]) => re.test(s))?.[0];
}

function shortName(f: CallFrame): string {
  const url = f.url.replace(/.*\/node_modules\//, '').replace(/.*\/(dist|src)\//, '');
  return `${f.functionName || '(anonymous)'} ${url}${url ? `:${f.lineNumber + 1}` : ''}`;
}

function pct(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)} %`;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '0' },
      last: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    console.error(
      'usage: npx tsx bench/profile-summary.ts [--top N] [--last S | --from S --to S] <file.cpuprofile>',
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // NOTE: timeDeltas[i] is the time from sample i-1 to sample i (µs), so sample times are their sum.
  const from =
    values.last !== undefined
      ? profile.endTime - Number(values.last) * 1e6
      : values.from !== undefined
        ? profile.startTime + Number(values.from) * 1e6
        : -Infinity;
  const to = values.to !== undefined ? profile.startTime + Number(values.to) * 1e6 : Infinity;
  const timeOf = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at >= from && at <= to) timeOf.set(id, (timeOf.get(id) ?? 0) + dt);
  });
  let total = 0;
  const byPart = new Map<string, number>();
  const bySelf = new Map<string, number>();
  for (const [id, t] of timeOf) {
    total += t;
    const self = shortName(byId.get(id)!.callFrame);
    bySelf.set(self, (bySelf.get(self) ?? 0) + t);
    let part: string | undefined;
    for (let x: number | undefined = id; x !== undefined && part === undefined; x = parent.get(x))
      part = partOf(byId.get(x)!.callFrame);
    const key = part ?? 'other';
    byPart.set(key, (byPart.get(key) ?? 0) + t);
  }

  console.log(`${(total / 1e6).toFixed(1)} s of samples\n`);
  console.log('| part | share |\n|---|---:|');
  for (const [part, t] of [...byPart].sort((a, b) => b[1] - a[1]))
    console.log(`| ${part} | ${pct(t, total)} |`);
  const top = Number(values.top);
  if (top > 0) {
    console.log('\n| function (self time) | share |\n|---|---:|');
    for (const [name, t] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`| ${name} | ${pct(t, total)} |`);
  }
}

main();
