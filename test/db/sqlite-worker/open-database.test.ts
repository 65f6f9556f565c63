import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../../../src/db/connection.js';
import { parseSqliteSynchronous } from '../../../src/db/sqlite-worker/sqlite-setup.js';

const run = promisify(execFile);

async function pragma(h: Awaited<ReturnType<typeof openDatabase>>, name: string): Promise<unknown> {
  return (await sql.raw(`pragma ${name}`).execute(h.db)).rows[0];
}

/** Runs `fn` with `KINDLING_SQLITE_SYNC` / `KINDLING_SQLITE_WORKER` set as given, restoring them after. */
async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (vals: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vals)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  try {
    return await fn();
  } finally {
    set(saved);
  }
}

describe('parseSqliteSynchronous', () => {
  test('FULL by default, FULL or NORMAL in any case, everything else refused', () => {
    assert.equal(parseSqliteSynchronous(undefined), 'FULL');
    assert.equal(parseSqliteSynchronous(''), 'FULL');
    assert.equal(parseSqliteSynchronous('normal'), 'NORMAL');
    assert.equal(parseSqliteSynchronous(' Full '), 'FULL');
    assert.throws(
      () => parseSqliteSynchronous('OFF'),
      /Unsupported SQLite synchronous level "OFF": use FULL or NORMAL/,
    );
    assert.throws(() => parseSqliteSynchronous('2; drop table x'), /Unsupported/);
  });
});

for (const sqliteWorker of [true, false]) {
  describe(`openDatabase sqlite (sqliteWorker: ${sqliteWorker})`, () => {
    test('synchronous is FULL unless KINDLING_SQLITE_SYNC or the option says NORMAL', async () => {
      await withEnv({ KINDLING_SQLITE_SYNC: undefined }, async () => {
        const h = await openDatabase('sqlite://', { sqliteWorker });
        assert.deepEqual(await pragma(h, 'synchronous'), { synchronous: 2 });
        await h.close();
      });
      await withEnv({ KINDLING_SQLITE_SYNC: 'NORMAL' }, async () => {
        const h = await openDatabase('sqlite://', { sqliteWorker });
        assert.deepEqual(await pragma(h, 'synchronous'), { synchronous: 1 });
        await h.close();
      });
      const h = await openDatabase('sqlite://', { sqliteWorker, sqliteSynchronous: 'NORMAL' });
      assert.deepEqual(await pragma(h, 'synchronous'), { synchronous: 1 });
      await h.close();
    });

    test('KINDLING_SQLITE_SYNC=OFF is refused', async () => {
      await withEnv({ KINDLING_SQLITE_SYNC: 'OFF' }, async () => {
        await assert.rejects(openDatabase('sqlite://', { sqliteWorker }), /use FULL or NORMAL/);
      });
    });
  });
}

/**
 * How many times a 5 ms interval fired while a ~100 ms recursive query ran: 0 when SQLite runs on
 * the event loop's thread, several when it runs on the worker.
 */
async function ticksDuringSlowQuery(h: Awaited<ReturnType<typeof openDatabase>>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = Date.now();
  await sql`with recursive c(x) as (select 1 union all select x + 1 from c where x < 400000) select sum(x) as s from c`.execute(
    h.db,
  );
  clearInterval(timer);
  assert.ok(Date.now() - started >= 30, 'the query must be slow enough for the test to mean something');
  return ticks;
}

describe('openDatabase picks the driver', () => {
  test('the worker driver keeps the event loop running during a query; the in-thread one blocks it', async () => {
    const worker = await openDatabase('sqlite://', { sqliteWorker: true });
    assert.ok((await ticksDuringSlowQuery(worker)) >= 3);
    await worker.close();
    const inThread = await openDatabase('sqlite://', { sqliteWorker: false });
    assert.equal(await ticksDuringSlowQuery(inThread), 0);
    await inThread.close();
  });

  test('KINDLING_SQLITE_WORKER=1 selects the worker; unset or 0, the in-thread driver', async () => {
    const ticks = (env: string | undefined) =>
      withEnv({ KINDLING_SQLITE_WORKER: env }, async () => {
        const h = await openDatabase('sqlite://');
        try {
          return await ticksDuringSlowQuery(h);
        } finally {
          await h.close();
        }
      });
    assert.ok((await ticks('1')) >= 3);
    assert.equal(await ticks(undefined), 0);
    assert.equal(await ticks('0'), 0);
  });

  test('an unclosed worker database does not keep the process alive', async () => {
    const connection = fileURLToPath(new URL('../../../src/db/connection.ts', import.meta.url));
    const script = `
      const { openDatabase } = await import(${JSON.stringify(connection)});
      const h = await openDatabase('sqlite://', { sqliteWorker: true });
      const { sql } = await import('kysely');
      console.log(JSON.stringify((await sql\`select 41 + 1 as x\`.execute(h.db)).rows));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    assert.equal(stdout.trim(), '[{"x":42}]');
  });
});
