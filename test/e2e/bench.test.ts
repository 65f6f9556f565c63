/**
 * The create-volumes benchmark, run small against a real `kindling serve`: it must finish without
 * errors, print its tables, write docs-style markdown, and leave no volume behind. The attach
 * benchmark (iSCSI vs the volume file), run with a few MiB: it must measure every row, prove the
 * bytes landed, and leave no tgtd behind (skipped where tgt/qemu cannot be installed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureIscsiPackages, tgtdPidsFor } from '../volume/iscsi-client.js';
import { startKindling, type KindlingProcess } from './harness.js';
import { REPO_ROOT } from '../support/server-process.js';

function runBench(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
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
    const r = await runBench('bench/create-volumes.ts', [...args, '--list-samples', '3', '--write', out]);
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

  test('--projects spreads the creates over that many projects, and cleans up in each', async () => {
    // Rows are timestamped like `2026-12-07T04:28:00.123456`: this test's are those made from now.
    const since = new Date().toISOString().slice(0, 23);
    const r = await runBench('bench/create-volumes.ts', [
      '--url',
      kindling.url,
      '--total',
      '6',
      '--concurrency',
      '4',
      '--warmup',
      '0',
      '--projects',
      '2',
    ]);
    assert.equal(r.code, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    const row = r.stdout.split('\n').find((l) => /^\| 4 \| 6 \|/.test(l));
    assert.ok(row, r.stdout);
    assert.equal(
      row
        .split('|')
        .map((c) => c.trim())
        .at(-2),
      '0',
      `errors column in ${row}`,
    );
    // Both projects were used: each has a volumes usage row (created by its first reserve), now 0.
    for (const project of ['admin', 'admin-1']) {
      const q = await fetch(`${kindling.url}/v3/admin/os-quota-sets/${project}?usage=true`, {
        headers: { 'X-Auth-Token': 'admin:admin' },
      });
      const usage = ((await q.json()) as { quota_set: { volumes: { in_use: number } } }).quota_set;
      assert.equal(usage.volumes.in_use, 0, project);
      const list = await fetch(`${kindling.url}/v3/${project}/volumes`, {
        headers: { 'X-Auth-Token': `admin:${project}` },
      });
      assert.deepEqual(((await list.json()) as { volumes: unknown[] }).volumes, [], project);
    }
    // The rows (soft-deleted now) say which projects the volumes were made in.
    const db = new Database(join(kindling.stateDir, 'kindling.sqlite'), { readonly: true });
    try {
      const made = db
        .prepare(
          'SELECT project_id, count(*) AS n FROM volumes WHERE created_at >= ? GROUP BY project_id ORDER BY project_id',
        )
        .all(since) as { project_id: string; n: number }[];
      assert.deepEqual(
        made.map((m) => m.project_id),
        ['admin', 'admin-1'],
      );
      assert.equal(
        made.reduce((sum, m) => sum + m.n, 0),
        6,
      );
    } finally {
      db.close();
    }
  });
});

describe('bench/attach-iscsi.ts', async () => {
  const skip = await ensureIscsiPackages();

  test('measures both paths in both cache modes, alternating, and leaves no tgtd', { skip }, async () => {
    const r = await runBench('bench/attach-iscsi.ts', ['--size-gb', '1', '--mib', '8', '--runs', '2']);
    assert.equal(r.code, 0, `bench failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(
      r.stderr,
      /warm-up: written through iSCSI, identical in the file and read back through iSCSI/,
    );
    const rows = r.stdout
      .split('\n')
      .filter((l) => /^\| (none|writeback) \| (write|read) \| [\d.]+ \(/.test(l));
    assert.equal(rows.length, 4, r.stdout);
    for (const row of rows) {
      const [, , , iscsi, file, ratio] = row.split('|').map((c) => c.trim());
      for (const cell of [iscsi, file, ratio]) assert.match(cell ?? '', /^[\d.]+ \([\d.]+ – [\d.]+\)$/, row);
      assert.ok(Number(iscsi?.split(' ')[0]) > 0 && Number(file?.split(' ')[0]) > 0, row);
    }
    // Two rounds: the first with iSCSI first, the second with the file first.
    const order = [...r.stderr.matchAll(/cache=none round (\d)\/2 write (iscsi|file)/g)].map((m) => m[2]);
    assert.deepEqual(order, ['iscsi', 'file', 'file', 'iscsi']);
    const portal = /tgtd on (127\.0\.0\.1:\d+) after stop: none;/.exec(r.stdout)?.[1];
    assert.ok(portal, r.stdout);
    assert.deepEqual(tgtdPidsFor(portal), [], 'no tgtd left on its portal');
    const dir = /file (\S+)\/state\/volumes\/volume-/.exec(r.stderr)?.[1];
    assert.ok(dir, r.stderr);
    assert.equal(existsSync(dir), false, `${dir} left behind`);
  });
});
