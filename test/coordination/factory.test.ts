import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { ConfigError } from '../../src/common/errors.js';
import { deadlineFor, operationLockName } from '../../src/coordination/coordinator.js';
import {
  InprocCoordinator,
  MysqlCoordinator,
  PostgresCoordinator,
  RedisCoordinator,
  advisoryLockKey,
  createCoordinator,
  mysqlLockName,
} from '../../src/coordination/index.js';

const log = pino({ level: 'silent' });

describe('createCoordinator', () => {
  test('picks the backend from the URL scheme, tooz style (nothing connects yet)', () => {
    const cases: Array<[string | null | undefined, new (...args: never[]) => object]> = [
      [null, InprocCoordinator],
      [undefined, InprocCoordinator],
      ['', InprocCoordinator],
      ['inproc://', InprocCoordinator],
      ['postgresql://postgres@127.0.0.1:5432/test', PostgresCoordinator],
      ['postgres://u:p@db/x', PostgresCoordinator],
      ['postgresql+psycopg2://u@db/x', PostgresCoordinator],
      ['mysql://root@127.0.0.1/test', MysqlCoordinator],
      ['mysql+pymysql://root@127.0.0.1/test', MysqlCoordinator],
      ['redis://127.0.0.1:6379/2', RedisCoordinator],
      ['redis://127.0.0.1:6379?lock_timeout=5', RedisCoordinator],
    ];
    for (const [url, cls] of cases) assert.ok(createCoordinator(url, log) instanceof cls, String(url));
  });

  test('refuses backends it does not provide', () => {
    for (const url of ['file:///var/lock/kindling', 'zookeeper://zk:2181', 'sqlite:///x.db', 'nonsense']) {
      assert.throws(() => createCoordinator(url, log), ConfigError, url);
    }
  });

  test('refuses a redis lock_timeout that is not a positive number', () => {
    assert.throws(() => createCoordinator('redis://h:6379?lock_timeout=0', log), ConfigError);
    assert.throws(() => createCoordinator('redis://h:6379?lock_timeout=abc', log), ConfigError);
  });
});

describe('lock names and keys', () => {
  test("operationLockName follows Cinder's '{volume.id}-{f_name}'", () => {
    assert.equal(operationLockName('3f2a', 'delete_volume'), '3f2a-delete_volume');
  });

  test('advisory keys are stable signed 64-bit integers, different per name', () => {
    const a = BigInt(advisoryLockKey('vol-1-delete_volume'));
    assert.equal(BigInt(advisoryLockKey('vol-1-delete_volume')), a);
    assert.notEqual(BigInt(advisoryLockKey('vol-2-delete_volume')), a);
    const keys = Array.from({ length: 200 }, (_, i) => BigInt(advisoryLockKey(`n${i}`)));
    assert.ok(keys.every((k) => k >= -(2n ** 63n) && k < 2n ** 63n));
    assert.ok(keys.some((k) => k < 0n) && keys.some((k) => k > 0n), 'the whole signed range is used');
  });

  test('MySQL lock names over 64 characters are hashed to 64', () => {
    const short = 'x'.repeat(64);
    assert.equal(mysqlLockName(short), short);
    const long1 = `${'y'.repeat(64)}-a`;
    const long2 = `${'y'.repeat(64)}-b`;
    assert.equal(mysqlLockName(long1).length, 64);
    assert.notEqual(mysqlLockName(long1), mysqlLockName(long2));
  });

  test('deadlineFor: true/absent waits for ever, false and 0 do not wait, seconds otherwise', () => {
    assert.equal(deadlineFor(undefined), Infinity);
    assert.equal(deadlineFor(true), Infinity);
    assert.ok(deadlineFor(false) <= Date.now());
    assert.ok(deadlineFor(0) <= Date.now());
    const d = deadlineFor(2) - Date.now();
    assert.ok(d > 1900 && d <= 2000, String(d));
  });
});
