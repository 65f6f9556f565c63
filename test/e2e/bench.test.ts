/**
 * The create-volumes benchmark, run small against a real `kindling serve`: it must finish without
 * errors, print its tables, write docs-style markdown, and leave no volume behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startKindling, type KindlingProcess } from './harness.js';

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/create-volumes.ts', ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bench/create-volumes.ts', () => {
  let kindling: KindlingProcess;
  let scratch: string;

  before(async () => {
    kindling = await startKindling();
    scratch = await mkdtemp(join(tmpdir(), 'kindling-bench-'));
  });
  after(async () => {
    await kindling?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('measures creates at two concurrencies, writes the report and cleans up', async () => {
    const out = join(scratch, 'performance.md');
    const args = ['--url', kindling.url, '--total', '4', '--concurrency', '1,3', '--warmup', '1'];
    const r = await runBench([...args, '--list-samples', '3', '--write', out]);
    assert.equal(
      r.code,
      0,
      `bench failed:\n${r.stdout}\n${r.stderr}\nserver:\n${kindling.logs().slice(-4000)}`,
    );

    const rows = r.stdout.split('\n').filter((l) => /^\| \d+ \| 4 \|/.test(l));
    assert.equal(rows.length, 2, r.stdout);
    for (const row of rows) {
      const cells = row.split('|').map((c) => c.trim());
      assert.equal(cells.at(-2), '0', `errors column in ${row}`);
      assert.ok(Number(cells[7]) > 0, `creates/s in ${row}`);
    }
    assert.match(r.stdout, /\| `GET \/v3\/admin\/volumes\/detail\?limit=1000` \| 4 \| 3 \|/);

    const doc = await readFile(out, 'utf8');
    assert.match(
      doc,
      /<!-- bench:create-volumes:start -->[\s\S]*- nproc: \d+[\s\S]*<!-- bench:create-volumes:end -->/,
    );
    assert.match(doc, new RegExp(`- node: ${process.version.replaceAll('.', '\\.')}`));

    const left = await readdir(join(kindling.stateDir, 'volumes')).catch(() => []);
    assert.deepEqual(left, [], 'volume files left behind');
    const res = await fetch(`${kindling.url}/v3/admin/volumes`, {
      headers: { 'X-Auth-Token': 'admin:admin' },
    });
    assert.deepEqual(((await res.json()) as { volumes: unknown[] }).volumes, []);
  });
});
