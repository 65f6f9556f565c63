/**
 * The progress reporter of backups and restores (src/backup/progress.ts): a notification after
 * every N chunks, one at 100 % at the end, none after a stop, in order even when one is slow or
 * fails; the timer; INFO lines no more often than asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressReporter, type ProgressSnapshot } from '../../src/backup/progress.js';

function reporter(
  opts: { per?: number; timer?: number | null; logSeconds?: number; now?: () => number } = {},
) {
  const sent: ProgressSnapshot[] = [];
  const logged: ProgressSnapshot[] = [];
  const errors: unknown[] = [];
  const r = new ProgressReporter({
    total: 1000,
    perNotification: opts.per ?? 2,
    timerSeconds: opts.timer ?? null,
    logSeconds: opts.logSeconds ?? 0,
    notify: async (s) => {
      await new Promise((res) => setTimeout(res, s.done % 3)); // uneven latency
      if (s.done === 500) throw new Error('bus down');
      sent.push(s);
    },
    log: (s) => logged.push(s),
    onError: (e) => errors.push(e),
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { r, sent, logged, errors };
}

test('every N chunks, then 100 % at the end, in order; a failed notification is reported and skipped', async () => {
  const { r, sent, errors } = reporter({ per: 2 });
  for (let step = 1; step <= 6; step++) r.update(step * 100, step, step - 1);
  await r.finish(6);
  assert.deepEqual(
    sent.map((s) => [s.done, s.percent, s.objects, s.final]),
    [
      [200, 20, 1, false],
      [400, 40, 3, false],
      [600, 60, 5, false],
      [1000, 100, 6, true],
    ],
  );
  assert.equal(errors.length, 0);
  r.update(2000, 20, 20); // after the end: ignored
  await r.stop();
  assert.equal(sent.length, 4);
});

test('several chunks in one read give one notification; a failure goes to onError', async () => {
  const { r, sent, errors } = reporter({ per: 2 });
  r.update(500, 5, 1);
  await r.stop();
  assert.deepEqual(sent, []);
  assert.equal(errors.length, 1);
});

test('a stop sends no final notification', async () => {
  const { r, sent } = reporter({ per: 0 });
  r.update(300, 3, 1);
  await r.stop();
  assert.deepEqual(sent, []);
});

test('the timer sends the current state', async () => {
  const { r, sent } = reporter({ per: 0, timer: 0.05 });
  r.update(100, 1, 1);
  await new Promise((res) => setTimeout(res, 130));
  await r.stop();
  assert.ok(sent.length >= 1, 'at least one timed notification');
  assert.equal(sent[0]!.done, 100);
});

test('log lines no more often than logSeconds', async () => {
  let now = 0;
  const { r, logged } = reporter({ per: 0, logSeconds: 5, now: () => now });
  for (let i = 1; i <= 12; i++) {
    now = i * 1000;
    r.update(i * 10, i, 0);
  }
  await r.stop();
  assert.deepEqual(
    logged.map((s) => s.done),
    [50, 100],
  );
});
