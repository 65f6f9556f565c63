/**
 * The layer rule `npm run lint` runs (`depcruise src` with .dependency-cruiser.mjs) bites: on a
 * small tree laid out like src/, an import from db up into the api, a new import across a line
 * that has a known exception for another file, a driver reaching past its interface and a
 * type-only circle each fail, and the known exception itself passes (planted too, as the
 * repository's rules with one more LAYER_EXCEPTIONS entry: the repository's own list may be empty).
 * On the repository, the listed exceptions are exactly what breaks the rule today, so an exception
 * whose import is gone fails here until it is removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const configFile = join(repo, '.dependency-cruiser.mjs');
const depcruise = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  readonly type: string;
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string; readonly severity: string };
  readonly cycle?: readonly { readonly name: string }[];
  readonly comment?: string;
}

/** `depcruise src` in `cwd` with the rules of `config` (the repository's): the violations that count. */
async function cruise(cwd: string, config: string, ...args: string[]): Promise<Violation[]> {
  const { stdout } = await run(
    process.execPath,
    [depcruise, '--config', config, '--output-type', 'json', ...args, 'src'],
    { cwd, maxBuffer: 512 * 1024 * 1024 },
  );
  const violations = (JSON.parse(stdout) as { summary: { violations: Violation[] } }).summary.violations;
  return violations.filter((v) => v.rule.severity !== 'ignore');
}

async function layTree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-layers-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/**
 * The repository's rules with one more LAYER_EXCEPTIONS entry, the planted tree's
 * db/api/quota-usages.ts → quota/volume-reservations.ts, made as the repository makes its own.
 */
const PLANTED_CONFIG = `import config, { layerKnownViolation } from ${JSON.stringify(pathToFileURL(configFile).href)};
const planted = layerKnownViolation({
  name: 'planted-exception',
  from: 'src/db/api/quota-usages.ts',
  to: 'src/quota/volume-reservations.ts',
});
export default {
  ...config,
  options: { ...config.options, knownViolations: [...config.options.knownViolations, planted] },
};
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', strict: true },
  include: ['src'],
});

test('planted back-imports, a driver past its interface and a type-only circle fail the rule', async (t) => {
  const dir = await layTree({
    'tsconfig.json': TSCONFIG,
    'planted-rules.mjs': PLANTED_CONFIG,
    'src/api/app.ts': 'export const app = 1;\n',
    // The planted back-import: db may not see the api.
    'src/db/planted.ts': "import { app } from '../api/app.js';\nexport const planted = app;\n",
    'src/db/connection.ts': 'export const dbh = 1;\n',
    'src/quota/volume-reservations.ts': 'export const note = 1;\n',
    'src/quota/quota-engine.ts': 'export const engine = 1;\n',
    // db/api/quota-usages.ts → quota/volume-reservations.ts is a listed exception (planted-rules.mjs);
    // → quota/quota-engine.ts is not.
    'src/db/api/quota-usages.ts':
      "import { note } from '../../quota/volume-reservations.js';\n" +
      "import { engine } from '../../quota/quota-engine.js';\n" +
      'export const usages = note + engine;\n',
    'src/volume/driver.ts': 'export const GiB = 1024 ** 3;\n',
    // A driver sees its interface, not the database (although db is below volume).
    'src/volume/drivers/fake-driver.ts':
      "import { GiB } from '../driver.js';\nimport { dbh } from '../../db/connection.js';\nexport const size = GiB + dbh;\n",
    // A circle made of type-only imports.
    'src/common/a.ts': "import type { B } from './b.js';\nexport interface A {\n  b?: B;\n}\n",
    'src/common/b.ts': "import type { A } from './a.js';\nexport interface B {\n  a?: A;\n}\n",
  });
  t.after(() => rm(dir, { recursive: true, force: true }));

  const violations = await cruise(dir, join(dir, 'planted-rules.mjs'));
  const edges = violations
    .filter((v) => v.rule.name !== 'no-circular')
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)
    .sort();
  assert.deepEqual(edges, [
    'layer-db-rpc: src/db/api/quota-usages.ts → src/quota/quota-engine.ts',
    'layer-db-rpc: src/db/planted.ts → src/api/app.ts',
    'volume-drivers-see-only-the-driver-interface: src/volume/drivers/fake-driver.ts → src/db/connection.ts',
  ]);
  const circles = violations.filter((v) => v.rule.name === 'no-circular');
  assert.ok(circles.length > 0, 'the type-only circle is reported');
  for (const circle of circles) {
    assert.deepEqual(
      new Set(circle.cycle?.map((m) => m.name)),
      new Set(['src/common/a.ts', 'src/common/b.ts']),
    );
  }

  // What `npm run lint` runs: the err reporter, whose exit status is the number of errors.
  await assert.rejects(
    run(process.execPath, [depcruise, '--config', configFile, '--output-type', 'err', 'src'], { cwd: dir }),
    (err: { code?: number; stdout?: string }) => {
      assert.ok((err.code ?? 0) > 0);
      assert.match(err.stdout ?? '', /layer-db-rpc: src\/db\/planted\.ts → src\/api\/app\.ts/);
      return true;
    },
  );
});

test('the listed exceptions are exactly what breaks the rule in src/ today', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-layers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const none = join(dir, 'no-known-violations.json');
  await writeFile(none, '[]');
  const violations = await cruise(repo, configFile, '--ignore-known', none);
  const config = (await import(pathToFileURL(configFile).href)) as {
    default: { options: { knownViolations: Violation[] } };
  };
  const known = config.default.options.knownViolations;

  // As dependency-cruiser matches a known violation: a circle by its set of modules, an import
  // by its two ends.
  const same = (k: Violation, v: Violation): boolean => {
    if (k.rule.name !== v.rule.name) return false;
    if (k.cycle && v.cycle) {
      const names = new Set(v.cycle.map((m) => m.name));
      return k.cycle.length === v.cycle.length && k.cycle.every((m) => names.has(m.name));
    }
    return k.from === v.from && k.to === v.to;
  };
  const show = (v: Violation): string =>
    v.cycle
      ? `${v.rule.name}: ${v.cycle.map((m) => m.name).join(' → ')}`
      : `${v.rule.name}: ${v.from} → ${v.to}`;

  const unlisted = violations.filter((v) => !known.some((k) => same(k, v))).map(show);
  assert.deepEqual(unlisted, [], 'violations not listed as exceptions (npm run lint shows them too)');
  const stale = known
    .filter((k) => !violations.some((v) => same(k, v)))
    .map((k) => `${k.comment}: ${show(k)}`);
  assert.deepEqual(
    stale,
    [],
    'exceptions that match no import any more: remove them from .dependency-cruiser.mjs',
  );
});
