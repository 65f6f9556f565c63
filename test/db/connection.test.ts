/**
 * Opening the server engines: URL handling, `[database] max_pool_size`, and that the pool size is
 * really applied on PostgreSQL and MariaDB.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { DIALECTS, unavailable, withDatabase } from '../support/dialects.js';
import { parseConnectionUrl } from '../../src/db/connection.js';
import { mysqlSettingsFromUrl, resolveMaxPoolSize } from '../../src/db/server-dialects.js';
import { databaseOptionsFromConfig } from '../../src/db/database-options.js';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/common/errors.js';

describe('server connection settings', () => {
  test('MySQL URLs: credentials decoded, PyMySQL query options dropped, unix_socket kept', () => {
    const { dialect, target } = parseConnectionUrl(
      'mysql+pymysql://cinder:p%40ss%3Aw@db.example:3307/cinder?charset=utf8',
    );
    assert.equal(dialect, 'mysql');
    assert.deepEqual(mysqlSettingsFromUrl(target), {
      host: 'db.example',
      port: 3307,
      user: 'cinder',
      password: 'p@ss:w',
      database: 'cinder',
    });
    assert.deepEqual(
      mysqlSettingsFromUrl(
        'mysql://root@localhost/k?unix_socket=/run/mysqld/mysqld.sock&read_default_file=/x',
      ),
      {
        host: 'localhost',
        user: 'root',
        database: 'k',
        socketPath: '/run/mysqld/mysqld.sock',
      },
    );
  });

  test('max_pool_size: option, else env, else 5; nonsense refused', () => {
    const saved = process.env.KINDLING_DB_MAX_POOL_SIZE;
    try {
      delete process.env.KINDLING_DB_MAX_POOL_SIZE;
      assert.equal(resolveMaxPoolSize({}), 5);
      process.env.KINDLING_DB_MAX_POOL_SIZE = '7';
      assert.equal(resolveMaxPoolSize({}), 7);
      assert.equal(resolveMaxPoolSize({ maxPoolSize: 2 }), 2);
      assert.throws(() => resolveMaxPoolSize({ maxPoolSize: 0 }), ConfigError);
      process.env.KINDLING_DB_MAX_POOL_SIZE = 'lots';
      assert.throws(() => resolveMaxPoolSize({}), ConfigError);
    } finally {
      if (saved === undefined) delete process.env.KINDLING_DB_MAX_POOL_SIZE;
      else process.env.KINDLING_DB_MAX_POOL_SIZE = saved;
    }
  });

  test('[database] max_pool_size from cinder.conf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindling-conf-'));
    try {
      const conf = (body: string) => {
        const f = join(dir, `${Math.random()}.conf`);
        writeFileSync(f, body);
        return loadConfig({ env: {}, files: [f] });
      };
      assert.deepEqual(databaseOptionsFromConfig(conf('[database]\nmax_pool_size = 3\n')), {
        maxPoolSize: 3,
      });
      assert.deepEqual(databaseOptionsFromConfig(conf('[database]\nconnection = sqlite:///x\n')), {});
      assert.throws(() => databaseOptionsFromConfig(conf('[database]\nmax_pool_size = -1\n')), ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const dialect of DIALECTS.filter((d) => d !== 'sqlite')) {
  describe(`pool size [${dialect}]`, { skip: await unavailable(dialect) }, () => {
    test('6 queries of 0.2 s through a pool of 2 take at least 3 rounds', async () => {
      await withDatabase(
        dialect,
        async ({ handle }) => {
          const sleep = dialect === 'postgres' ? sql`SELECT pg_sleep(0.2)` : sql`SELECT SLEEP(0.2)`;
          await sleep.execute(handle.db); // warm one connection up
          const t0 = Date.now();
          await Promise.all(Array.from({ length: 6 }, () => sleep.execute(handle.db)));
          assert.ok(Date.now() - t0 >= 580, `took ${Date.now() - t0} ms: more than 2 connections at once`);
        },
        { migrate: false, maxPoolSize: 2 },
      );
    });
  });
}
