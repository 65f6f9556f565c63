/**
 * The error registry: every error Kindling raises on purpose, with its HTTP status and message
 * template, in the spirit of Cinder's `exception.py`. The API maps them to fault bodies in one
 * place (`src/api/fault.ts`); nothing else needs to know HTTP statuses.
 *
 * The classes live by family in `src/common/errors/`; this module exports them all, so they are
 * imported from here (and `src/rpc/amqp/remote-error.ts` registers every one of them by name).
 */
export * from './errors/base.js';
export * from './errors/api.js';
export * from './errors/volume.js';
export * from './errors/snapshot.js';
export * from './errors/backup.js';
export * from './errors/quota.js';
export * from './errors/volume-type.js';
export * from './errors/group.js';
export * from './errors/transfer.js';
export * from './errors/service.js';
export * from './errors/rbd.js';
export * from './errors/iscsi.js';
export * from './errors/image.js';
