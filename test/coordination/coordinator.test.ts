/**
 * One suite, every backend (kysely style). Server backends run against the local services; a
 * backend whose server is unreachable is skipped with the reason. `COORD_BACKENDS=postgres,redis`
 * narrows the run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { LockAcquireTimeout } from '../../src/common/errors.js';
import {
  advisoryLockKey,
  createCoordinator,
  mysqlLockName,
  operationLockName,
} from '../../src/coordination/index.js';
import type { Coordinator, Lock } from '../../src/coordination/index.js';

interface Backend {
  readonly name: string;
  readonly url: string | null;
  readonly server?: { readonly host: string; readonly port: number };
  /** Makes the server drop `lockName` from under its holder (kills its session, or deletes its key). */
  readonly revoke?: (lockName: string) => Promise<void>;
}

const PG_URL = 'postgresql://postgres@127.0.0.1:5432/test';
const MYSQL_URL = 'mysql+pymysql://root@127.0.0.1:3306/test';
// NOTE: a 1 s TTL so that a crashed holder's lock expires within the test.
const REDIS_URL = 'redis://127.0.0.1:6379/0?lock_timeout=1';

const BACKENDS: Backend[] = [
  { name: 'inproc', url: null },
  {
    name: 'postgres',
    url: PG_URL,
    server: { host: '127.0.0.1', port: 5432 },
    revoke: async (lockName) => {
      const key = BigInt.asUintN(64, BigInt(advisoryLockKey(lockName)));
      const admin = new pg.Client(PG_URL);
      await admin.connect();
      try {
        const res = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1`,
          [String(key >> 32n), String(key & 0xffffffffn)],
        );
        assert.equal(res.rowCount, 1, 'exactly one session holds the advisory lock');
      } finally {
        await admin.end();
      }
    },
  },
  {
    name: 'mysql',
    url: MYSQL_URL,
    server: { host: '127.0.0.1', port: 3306 },
    revoke: async (lockName) => {
      const admin = await mysql.createConnection({
        host: '127.0.0.1',
        port: 3306,
        user: 'root',
        database: 'test',
      });
      try {
        const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [
          mysqlLockName(lockName),
        ]);
        const id: unknown = rows[0]?.id;
        assert.ok(id, 'a session holds the user lock');
        await admin.query('KILL ?', [id]);
      } finally {
        await admin.end();
      }
    },
  },
  {
    name: 'redis',
    url: REDIS_URL,
    server: { host: '127.0.0.1', port: 6379 },
    revoke: async (lockName) => {
      const admin = new Redis('redis://127.0.0.1:6379/0');
      try {
        assert.equal(await admin.del(`mutex:kindling:${lockName}`), 1, 'the lock key exists');
      } finally {
        admin.disconnect();
      }
    },
  },
];

const only = process.env.COORD_BACKENDS?.split(',').map((s) => s.trim());
const INDEX_TS = fileURLToPath(new URL('../../src/coordination/index.ts', import.meta.url));

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: 1000 });
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('timeout', () => (sock.destroy(), resolve(false)));
    sock.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A volume-style lock name unique to this run; `long` makes it exceed MySQL's 64 characters. */
const lockName = (op: string, long = false): string =>
  operationLockName(randomUUID(), long ? `${op}-with-a-name-longer-than-sixty-four-chars` : op);

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await sleep(20);
  }
}

/**
 * Runs a separate Node process that takes `name` and then hangs; resolves once it holds it.
 * `kill()` ends it with SIGKILL, as a crash would (no release, no clean disconnect).
 */
async function holderProcess(url: string, name: string): Promise<{ kill: () => Promise<void> }> {
  const script = `
    const [index, url, name] = process.argv.slice(1);
    const { createCoordinator } = await import(index);
    const { pino } = await import('pino');
    const c = createCoordinator(url, pino({ level: 'silent' }));
    await c.start();
    await c.lock(name);
    process.stdout.write('locked\\n');
    setInterval(() => {}, 60_000);`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, INDEX_TS, url, name],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`holder exited early (${String(code)})`)));
  });
  return {
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test('control: without a lock the shared counter below loses updates', async () => {
  let counter = 0;
  const worker = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) {
      const v = counter;
      await sleep(1);
      counter = v + 1;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  assert.ok(counter < 40, `counter ${counter}`);
});

for (const backend of BACKENDS) {
  const selected = !only || only.includes(backend.name);
  const up = !backend.server || (selected && (await reachable(backend.server.host, backend.server.port)));
  const skip = !selected
    ? 'not in COORD_BACKENDS'
    : up
      ? false
      : `${backend.name} server not reachable at ${backend.server?.host}:${backend.server?.port}`;

  describe(`coordination: ${backend.name}`, { skip }, () => {
    const logs: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    // NOTE: two coordinators = two connections = two "processes" as far as the server can tell.
    let a: Coordinator;
    let b: Coordinator;

    before(async () => {
      a = createCoordinator(backend.url, log);
      b = createCoordinator(backend.url, log);
      await a.start();
      await b.start();
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
    });

    test('mutual exclusion between coordinators and within one, over many iterations', async () => {
      const name = lockName('delete_volume');
      let counter = 0;
      let inside = 0;
      let maxInside = 0;
      const worker = async (c: Coordinator, n: number): Promise<void> => {
        for (let i = 0; i < n; i++) {
          await c.withLock(name, async () => {
            maxInside = Math.max(maxInside, ++inside);
            const v = counter;
            await sleep(1);
            counter = v + 1;
            inside--;
          });
        }
      };
      await Promise.all([worker(a, 25), worker(a, 25), worker(b, 25), worker(b, 25)]);
      assert.equal(counter, 100);
      assert.equal(maxInside, 1);
    });

    test('a non-blocking try returns null while held, by another coordinator or a caller here', async () => {
      const name = lockName('create_from_snapshot', true);
      const held = await a.lock(name);
      assert.ok(held);
      assert.equal(held.name, name);
      const started = Date.now();
      assert.equal(await b.lock(name, { blocking: false }), null);
      assert.equal(await a.lock(name, { blocking: false }), null, 'not re-entrant within one coordinator');
      assert.ok(Date.now() - started < 1000);
      await assert.rejects(
        b.withLock(name, () => 'ran', { blocking: false }),
        (err: unknown) => err instanceof LockAcquireTimeout && err.timeoutSeconds === 0,
      );
      await held.release();
      const next = await b.lock(name, { blocking: false });
      assert.ok(next, 'free once released');
      await next.release();
    });

    test('a blocking try with a timeout gives up after about the timeout', async () => {
      const name = lockName('extend_volume');
      const held = await a.lock(name);
      assert.ok(held);
      try {
        let started = Date.now();
        assert.equal(await b.lock(name, { blocking: 0.5 }), null);
        let waited = Date.now() - started;
        assert.ok(waited >= 450 && waited < 1500, `returned null after ${waited} ms`);

        started = Date.now();
        await assert.rejects(
          b.withLock(name, () => 'ran', { blocking: 0.3 }),
          LockAcquireTimeout,
        );
        waited = Date.now() - started;
        assert.ok(waited >= 250 && waited < 1300, `threw after ${waited} ms`);
      } finally {
        await held.release();
      }
    });

    test('release lets a blocked waiter proceed; withLock releases even when fn throws', async () => {
      const name = lockName('delete_snapshot');
      const held = await a.lock(name);
      assert.ok(held);
      const started = Date.now();
      const waiting = b.withLock(name, () => Date.now() - started, { blocking: 10 });
      await sleep(200);
      await held.release();
      await held.release(); // idempotent
      const waited = await waiting;
      assert.ok(waited >= 190 && waited < 1500, `waiter got it after ${waited} ms`);

      await assert.rejects(
        a.withLock(name, () => {
          throw new Error('boom');
        }),
        /boom/,
      );
      const again = await b.lock(name, { blocking: false });
      assert.ok(again, 'released after fn threw');
      await again.release();
    });

    test(
      'a crashed holder (killed process) frees the lock for the others',
      { skip: backend.url === null ? 'in-process only: there is no other process' : false },
      async () => {
        const name = lockName('create_volume_from_volume');
        const holder = await holderProcess(backend.url ?? '', name);
        assert.equal(await b.lock(name, { blocking: false }), null, 'held by the other process');
        const killedAt = Date.now();
        await holder.kill();
        const lock = await b.lock(name, { blocking: 10 });
        assert.ok(lock, 'acquired after the holder died');
        const waited = Date.now() - killedAt;
        // NOTE: sessions end with the socket; a Redis lock lives until its 1 s TTL runs out.
        assert.ok(waited < 5000, `acquired ${waited} ms after the kill`);
        await lock.release();
      },
    );

    test(
      'a lock dropped by the server is marked lost and logged; the coordinator carries on',
      { skip: backend.revoke ? false : 'no server to drop it' },
      async () => {
        const name = lockName('retype');
        const other = lockName('migrate_volume');
        const held: Lock | null = await a.lock(name);
        assert.ok(held);
        assert.equal(held.lost, false);
        logs.length = 0;
        await backend.revoke?.(name);
        await waitFor(() => held.lost, 3000);
        assert.ok(
          logs.some((l) => l.level >= 50),
          `an error was logged: ${JSON.stringify(logs)}`,
        );
        const taken = await b.lock(name, { blocking: 3 });
        assert.ok(taken, 'the other coordinator can take it now');
        assert.equal(await a.lock(name, { blocking: false }), null, 'the holder must release first');
        await held.release();
        const fresh = await a.lock(other, { blocking: 3 });
        assert.ok(fresh, 'the holder reconnected for its next lock');
        assert.equal(fresh.lost, false);
        await fresh.release();
        await taken.release();
      },
    );
  });
}
