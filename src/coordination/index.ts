export type { Coordinator, Lock, LockOptions } from './coordinator.js';
export { operationLockName } from './coordinator.js';
export { createCoordinator } from './factory.js';
export { InprocCoordinator } from './inproc.js';
export { PostgresCoordinator, advisoryLockKey } from './postgres.js';
export { MysqlCoordinator, mysqlLockName } from './mysql.js';
export { RedisCoordinator } from './redis.js';
export { LockAcquireTimeout } from '../common/errors.js';
