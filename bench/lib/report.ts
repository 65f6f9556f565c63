/** Markdown for benchmark results, and writing it into docs/performance.md. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import type { CreatePhaseResult } from './create-phase.js';
import { fmtMs, summarize, type Summary } from './stats.js';
import type { DeleteThroughput, RequestThroughput } from './throughput.js';

/** Latency of one list request repeated `n` times. */
export interface ListResult {
  request: string;
  volumesPresent: number;
  latency: Summary;
}

/** Everything one run measured, plus how it was run. */
export interface BenchReport {
  url: string;
  pollMs: number;
  phases: CreatePhaseResult[];
  lists: ListResult[];
  cleanupFailures: string[];
  /** Deletes/s after the last phase (absent when nothing was left to delete). */
  deletes?: DeleteThroughput | undefined;
  /** Requests/s of a list request, closed loop. */
  throughput?: RequestThroughput[];
  /** The server's RSS in MiB: before the first create, the peak, at the end. */
  rss?: { idleMiB: number; peakMiB: number; endMiB: number } | undefined;
}

/** The machine the benchmark ran on, as a markdown list. */
export function machineInfo(now = new Date()): string {
  const cpu = cpus()[0]?.model ?? 'unknown';
  return [
    `- date: ${now.toISOString()}`,
    `- nproc: ${availableParallelism()}`,
    `- cpu: ${cpu}`,
    `- memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- os: ${type()} ${release()}`,
    `- node: ${process.version}`,
  ].join('\n');
}

/** Results as markdown tables (create phases, then list latency). */
export function renderTables(r: BenchReport): string {
  const lines = [
    `Creates of 1 GiB volumes against ${r.url}; closed loop (each worker waits for \`available\` before its next create); availability seen by polling the \`creating\` list every ${r.pollMs} ms. Times in ms.`,
    '',
    '| concurrency | creates | POST→202 p50 | POST→202 p99 | POST→available p50 | POST→available p99 | creates/s to available | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of r.phases) {
    const post = summarize(p.postMs);
    const avail = summarize(p.availableMs);
    const rate = p.wallMs > 0 ? (p.availableMs.length / p.wallMs) * 1000 : Number.NaN;
    lines.push(
      `| ${p.concurrency} | ${p.total} | ${fmtMs(post.p50)} | ${fmtMs(post.p99)} | ${fmtMs(avail.p50)} | ${fmtMs(avail.p99)} | ${Number.isNaN(rate) ? '-' : rate.toFixed(1)} | ${p.errors.length} |`,
    );
  }
  lines.push('', '| list request | volumes present | samples | p50 | p99 |', '|---|---:|---:|---:|---:|');
  for (const l of r.lists) {
    lines.push(
      `| \`${l.request}\` | ${l.volumesPresent} | ${l.latency.n} | ${fmtMs(l.latency.p50)} | ${fmtMs(l.latency.p99)} |`,
    );
  }
  const cpu = r.phases.filter((p) => p.serverCpuMs !== undefined && !Number.isNaN(p.serverCpuMs));
  if (cpu.length > 0) {
    lines.push('', "| concurrency | server CPU ms per create (incl. the bench's polling) |", '|---:|---:|');
    for (const p of cpu) lines.push(`| ${p.concurrency} | ${(p.serverCpuMs! / p.total).toFixed(2)} |`);
  }
  const groups = r.phases.filter((p) => p.cpuByGroup !== undefined);
  if (groups.length > 0) {
    const names = Object.keys(groups[0]!.cpuByGroup!);
    lines.push(
      '',
      `| concurrency | CPU ms per create: ${names.join(' | ')} | the whole machine |`,
      `|---:|${names.map(() => '---:|').join('')}---:|`,
    );
    for (const p of groups) {
      const per = (ms: number) => (ms / p.total).toFixed(2);
      lines.push(
        `| ${p.concurrency} | ${names.map((n) => per(p.cpuByGroup![n]!)).join(' | ')} | ${per(p.machineBusyMs!)} |`,
      );
    }
  }
  if (r.deletes !== undefined) {
    const d = r.deletes;
    lines.push(
      '',
      '| deletes | in flight | wall ms (DELETE → gone) | deletes/s | failed |',
      '|---:|---:|---:|---:|---:|',
      `| ${d.deleted} | ${d.parallel} | ${d.wallMs.toFixed(0)} | ${((d.deleted / d.wallMs) * 1000).toFixed(1)} | ${d.failed.length} |`,
    );
  }
  if (r.throughput !== undefined && r.throughput.length > 0) {
    lines.push(
      '',
      '| throughput request | volumes present | connections | requests | req/s | p50 | p99 | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const t of r.throughput) {
      lines.push(
        `| \`${t.request}\` | ${t.volumesPresent} | ${t.connections} | ${t.requests} | ${((t.requests / t.wallMs) * 1000).toFixed(0)} | ${fmtMs(t.latency.p50)} | ${fmtMs(t.latency.p99)} | ${t.errors} |`,
      );
    }
  }
  if (r.rss !== undefined) {
    lines.push(
      '',
      `Server RSS: ${r.rss.idleMiB.toFixed(0)} MiB idle before the first create, ${r.rss.peakMiB.toFixed(0)} MiB peak, ${r.rss.endMiB.toFixed(0)} MiB at the end.`,
    );
  }
  const errors = r.phases.flatMap((p) => p.errors.map((e) => `concurrency ${p.concurrency}: ${e}`));
  if (errors.length > 0) {
    lines.push('', 'Errors (first 10):', '', ...errors.slice(0, 10).map((e) => `- ${e}`));
  }
  if (r.cleanupFailures.length > 0) {
    lines.push('', `Not deleted at the end: ${r.cleanupFailures.join(', ')}`);
  }
  return lines.join('\n');
}

const START = '<!-- bench:create-volumes:start -->';
const END = '<!-- bench:create-volumes:end -->';

/** The generated section of docs/performance.md (between its markers). */
export function renderSection(r: BenchReport, now = new Date()): string {
  return [
    START,
    '## Volume create and list (`npm run bench`)',
    '',
    `Generated by \`npx tsx bench/create-volumes.ts --url ${r.url} --write <file>\`.`,
    '',
    machineInfo(now),
    '',
    renderTables(r),
    END,
  ].join('\n');
}

/**
 * Writes the section into `path`: replaces an earlier generated section, appends to a file that
 * has none, or creates the file.
 */
export async function writeReport(path: string, r: BenchReport, now = new Date()): Promise<void> {
  const section = renderSection(r, now);
  if (!existsSync(path)) {
    await writeFile(path, `# Kindling performance\n\n${section}\n`);
    return;
  }
  const text = await readFile(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  const updated =
    a >= 0 && b > a
      ? `${text.slice(0, a)}${section}${text.slice(b + END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  await writeFile(path, updated);
}
