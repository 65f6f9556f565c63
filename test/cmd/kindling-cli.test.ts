/**
 * The `kindling` command as an operator meets it: `--version`, what a broken configuration prints
 * (every problem, one line each, no stack), a taken port, and the state directory lock of `serve`.
 * Each test runs `node --import tsx src/cmd/kindling.ts` as a child process.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseServerEnv, freePort, REPO_ROOT, waitForExit } from '../support/server-process.js';

const root = mkdtempSync(join(tmpdir(), 'kindling-cli-'));
const started: ChildProcess[] = [];
after(async () => {
  for (const c of started) {
    c.kill('SIGKILL');
    await waitForExit(c, 5000);
  }
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
}

function kindling(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/kindling.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...baseServerEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

/** Runs to the end: exit code and output. */
async function finished(run: Run): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assert.ok(await waitForExit(run.child, 60_000), `kindling did not exit: ${JSON.stringify(run.output())}`);
  return { code: run.child.exitCode, ...run.output() };
}

/** Waits until the server answers `GET /`, or fails with its output. */
async function answering(run: Run, port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (run.child.exitCode !== null) assert.fail(`kindling serve exited: ${JSON.stringify(run.output())}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline)
        assert.fail(`kindling serve did not answer: ${JSON.stringify(run.output())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Lines an operator should never see on a start-up error: a stack or Node's source excerpt. */
function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m);
  assert.doesNotMatch(stderr, /^\s*\^+\s*$/m);
  assert.doesNotMatch(stderr, /Node\.js v\d/);
}

test('kindling --version prints the version of package.json', async () => {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const r = await finished(kindling(['--version']));
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), version);
});

test('a broken configuration: every problem on one line each, warnings naming typos, no stack', async () => {
  const conf = join(root, 'broken.conf');
  writeFileSync(
    conf,
    `[DEFAULT]
enabled_backend = fast
enabled_backends = fast,slow
osapi_volume_listen_port = eighty
backup_compression_algorithm = lzma
[fast]
volume_driver = file
target_port = x
[databse]
connection = sqlite:///x
`,
  );
  const r = await finished(
    kindling(['serve', '--config-file', conf], { KINDLING_STATE_DIR: join(root, 'broken') }),
  );
  assert.equal(r.code, 1);
  assertNoStack(r.stderr);
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    `kindling serve: warning: ${conf}: unknown option enabled_backend in [DEFAULT] ignored (did you mean enabled_backends?)`,
    `kindling serve: warning: ${conf}: unknown section [databse] ignored: not a backend of enabled_backends (fast, slow) nor a section Kindling reads (did you mean [database]?)`,
    "kindling serve: error: Invalid value for option osapi_volume_listen_port in group [DEFAULT]: 'eighty' (expected an integer)",
    "kindling serve: error: Invalid value for option target_port in group [fast]: 'x' (expected an integer)",
    `kindling serve: error: Backend slow of enabled_backends (${conf}) has no section [slow]: add one (it may hold only volume_driver = file)`,
  ]);
  assert.equal(r.stdout, '');
  assert.equal(existsSync(join(root, 'broken')), false, 'nothing was created');
});

test('the options other modules parse are checked before start too, all at once', async () => {
  const conf = join(root, 'modules.conf');
  writeFileSync(conf, '[DEFAULT]\nbackup_compression_algorithm = lzma\n[database]\nmax_pool_size = none\n');
  const r = await finished(
    kindling(['serve', '--config-file', conf], { KINDLING_STATE_DIR: join(root, 'modules') }),
  );
  assert.equal(r.code, 1);
  assertNoStack(r.stderr);
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    "kindling serve: error: Invalid value for option backup_compression_algorithm in group [DEFAULT]: 'lzma' (valid values are none, off, no, zlib, gzip, bz2, bzip2, zstd)",
    'kindling serve: error: [database] max_pool_size must be a positive integer, got "none"',
  ]);
});

test('a taken port is one line naming it, and the state directory is released', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    const state = join(root, 'taken');
    const r = await finished(kindling(['serve'], { KINDLING_STATE_DIR: state, KINDLING_PORT: String(port) }));
    assert.equal(r.code, 1);
    assertNoStack(r.stderr);
    assert.equal(
      r.stderr.trimEnd(),
      `kindling serve: error: Cannot listen on 127.0.0.1:${port} (osapi_volume_listen, osapi_volume_listen_port): the port is in use (another kindling, or another program, listens on it) [EADDRINUSE]`,
    );
    assert.equal(existsSync(join(state, 'kindling.lock')), false);
  } finally {
    blocker.close();
  }
});

test('one serve per state directory: a second refuses, a lock left by kill -9 is taken over, exit releases it', async () => {
  const state = join(root, 'shared');
  const lockFile = join(state, 'kindling.lock');
  const port1 = await freePort();
  const first = kindling(['serve'], { KINDLING_STATE_DIR: state, KINDLING_PORT: String(port1) });
  await answering(first, port1);
  assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, first.child.pid);

  const second = await finished(
    kindling(['serve'], { KINDLING_STATE_DIR: state, KINDLING_PORT: String(await freePort()) }),
  );
  assert.equal(second.code, 1);
  assertNoStack(second.stderr);
  assert.match(
    second.stderr,
    new RegExp(
      `^kindling serve: error: State directory ${state} is in use by kindling serve \\(pid ${first.child.pid}; lock file ${lockFile}\\): stop it first, or give this one another state_path\\n$`,
    ),
  );

  first.child.kill('SIGKILL');
  await waitForExit(first.child, 10_000);
  assert.ok(existsSync(lockFile), 'kill -9 leaves the lock file behind');

  const port3 = await freePort();
  const logFile = join(root, 'logs', 'kindling.log');
  const third = kindling(['serve'], {
    KINDLING_STATE_DIR: state,
    KINDLING_PORT: String(port3),
    KINDLING__DEFAULT__log_file: logFile,
    KINDLING__DEFAULT__enabled_backend: 'file',
  });
  await answering(third, port3);
  assert.equal(
    JSON.parse(readFileSync(lockFile, 'utf8')).pid,
    third.child.pid,
    'the stale lock was taken over',
  );
  third.child.kill('SIGTERM');
  assert.ok(await waitForExit(third.child, 30_000));
  assert.equal(third.child.exitCode, 0);
  assert.equal(existsSync(lockFile), false, 'a clean exit removes the lock file');
  // log_file: the log went to the file, not to standard output
  const log = readFileSync(logFile, 'utf8');
  assert.match(log, /"msg":"Kindling is serving"/);
  // lines are written asynchronously; what was logged up to the exit is flushed at exit
  assert.match(log, /"signal":"SIGTERM".*"msg":"shutting down"/);
  // a running service logs the configuration's warnings (WARN, 40) when it starts
  assert.match(
    log,
    /"level":40,.*"msg":"environment: unknown option enabled_backend in \[DEFAULT\] ignored \(did you mean enabled_backends\?\)"/,
  );
  assert.doesNotMatch(third.output().stdout, /Kindling is serving/);
});
