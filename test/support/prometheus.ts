/**
 * Reads Prometheus' text exposition format (what prom-client writes) as a scraper does: every
 * sample with its labels, and each metric family's TYPE, so a test asserts what an operator's
 * Prometheus would store.
 */
import assert from 'node:assert/strict';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly samples: readonly Sample[];
  /** Metric family → its `# TYPE` (counter, gauge, histogram, summary, untyped). */
  readonly types: ReadonlyMap<string, string>;
  /** Samples of `name` whose labels include `labels`. */
  find(name: string, labels?: Readonly<Record<string, string>>): Sample[];
  /** The sum of those samples' values (0 when none). */
  sum(name: string, labels?: Readonly<Record<string, string>>): number;
  /** The one sample of `name` with exactly these labels; fails the test when absent. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;

/** A sample value as Prometheus reads it (Go's ParseFloat: `NaN`, `+Inf` in any case). */
function parseValue(text: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(text);
  assert.ok(!Number.isNaN(n), `not a sample value: ${text}`);
  return n;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const m = LABEL.exec(text);
    assert.ok(m && m.index === start, `bad labels in exposition line: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** Parses an exposition; fails the test on a line a scraper would refuse. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const t = /^#\s+TYPE\s+(\S+)\s+(\S+)$/.exec(line);
      if (t) {
        assert.ok(!types.has(t[1]!), `metric family ${t[1]} is exposed twice`);
        types.set(t[1]!, t[2]!);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `not an exposition line: ${line}`);
    samples.push({ name: m[1]!, labels: m[3] ? parseLabels(m[3], line) : {}, value: parseValue(m[4]!) });
  }
  const matches = (s: Sample, name: string, labels: Readonly<Record<string, string>>) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  const find = (name: string, labels: Readonly<Record<string, string>> = {}) =>
    samples.filter((s) => matches(s, name, labels));
  return {
    samples,
    types,
    find,
    sum: (name, labels = {}) => find(name, labels).reduce((a, s) => a + s.value, 0),
    value(name, labels = {}) {
      const exact = find(name, labels).filter(
        (s) => Object.keys(s.labels).length === Object.keys(labels).length,
      );
      assert.equal(exact.length, 1, `${name}${JSON.stringify(labels)}: ${exact.length} samples`);
      return exact[0]!.value;
    },
  };
}
