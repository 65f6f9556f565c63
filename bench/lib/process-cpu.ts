/**
 * CPU time of named groups of processes during a phase (`--cpu-of`): where a distributed
 * deployment's CPU goes — each Kindling process, the database's processes, the broker's.
 *
 * A group is one pid (`api=1234`) or every process of a user (`postgres=@postgres`, for a server
 * that forks a process per connection). From /proc: Linux only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpuMs } from './throughput.js';

/** A named group: one pid, or every process of a uid. */
export type CpuGroup = { name: string; pid: number } | { name: string; uid: number };

/** CPU ms per pid of each group, at one moment. */
export type CpuSnapshot = Map<string, Map<number, number>>;

/** Parses `name=pid,name=@user,…`. */
export function parseCpuGroups(spec: string): CpuGroup[] {
  return spec.split(',').map((part) => {
    const m = /^\s*([\w.-]+)=(@[\w.-]+|\d+)\s*$/.exec(part);
    if (!m) throw new Error(`--cpu-of: expected name=pid or name=@user, got "${part}"`);
    const [, name, target] = m as unknown as [string, string, string];
    if (!target.startsWith('@')) return { name, pid: Number(target) };
    const uid = Number(execFileSync('id', ['-u', target.slice(1)], { encoding: 'utf8' }).trim());
    return { name, uid };
  });
}

function pidsOfUid(uid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}`).uid === uid) out.push(Number(entry));
    } catch {
      // NOTE: the process ended while the directory was read.
    }
  }
  return out;
}

/** Each group's processes and the CPU each has used so far. */
export function cpuSnapshot(groups: readonly CpuGroup[]): CpuSnapshot {
  const snap: CpuSnapshot = new Map();
  for (const g of groups) {
    const pids = 'pid' in g ? [g.pid] : pidsOfUid(g.uid);
    const byPid = new Map<number, number>();
    for (const pid of pids) {
      const ms = cpuMs(pid);
      if (!Number.isNaN(ms)) byPid.set(pid, ms);
    }
    snap.set(g.name, byPid);
  }
  return snap;
}

/**
 * CPU ms each group used between two snapshots. A process that started in between counts from
 * its start; one that ended in between is missing (its last share is lost).
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pids] of after) {
    const earlier = before.get(name) ?? new Map<number, number>();
    let sum = 0;
    for (const [pid, ms] of pids) sum += ms - (earlier.get(pid) ?? 0);
    out[name] = sum;
  }
  return out;
}

/** The machine's busy CPU time so far (all cores: user, nice, system, irq, softirq), ms. */
export function machineBusyMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return ((user + nice + system + irq + softirq) * 1000) / 100;
}
