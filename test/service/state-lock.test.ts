import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireStateLock, LOCK_FILE } from '../../src/service/state-lock.js';
import { StartupError } from '../../src/common/startup-error.js';

const root = mkdtempSync(join(tmpdir(), 'kindling-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `s${n++}`);

/** A process that runs until killed, and its start time as /proc tells it. */
async function sleeper() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return { child, pid: child.pid!, start };
}

test('the lock is taken, refused to a second taker while held, and released', () => {
  const dir = freshDir();
  const lock = acquireStateLock(dir);
  const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
  assert.equal(holder.pid, process.pid);
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  lock.release(); // idempotent
  acquireStateLock(dir).release();
});

test('a live holder refuses; its dead pid, a reused pid, our own pid or garbage are stale', async () => {
  const live = await sleeper();
  try {
    const cases: [string, string, boolean][] = [
      ['live holder', JSON.stringify({ pid: live.pid, start: live.start, command: 'kindling serve' }), true],
      ['live holder without a start time', JSON.stringify({ pid: live.pid }), true],
      ['pid reused by another process', JSON.stringify({ pid: live.pid, start: '1' }), false],
      ['our own pid (a restarted container)', JSON.stringify({ pid: process.pid }), false],
      ['a pid that does not exist', JSON.stringify({ pid: 2 ** 22 + 7 }), false],
      ['garbage', 'not json', false],
      ['empty', '', false],
    ];
    for (const [what, content, refused] of cases) {
      const dir = freshDir();
      acquireStateLock(dir).release();
      writeFileSync(join(dir, LOCK_FILE), content);
      if (refused) {
        assert.throws(
          () => acquireStateLock(dir),
          (e: unknown) =>
            e instanceof StartupError &&
            e.message.includes(`(pid ${live.pid}; lock file `) &&
            !e.message.includes('\n'),
          what,
        );
        assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), content, `${what}: left alone`);
      } else {
        const lock = acquireStateLock(dir);
        assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid, what);
        lock.release();
      }
    }
  } finally {
    live.child.kill('SIGKILL');
  }
});

test('release leaves a lock that another process has taken since', () => {
  const dir = freshDir();
  const lock = acquireStateLock(dir);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1 }));
  lock.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), true);
});
