import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from '../../../src/common/context.js';
import {
  CinderError,
  LockAcquireTimeout,
  NoValidBackend,
  VolumeNotFound,
} from '../../../src/common/errors.js';
import { MessagingTimeout } from '../../../src/rpc/transport.js';
import { DuplicateChecker } from '../../../src/rpc/amqp/duplicate-checker.js';
import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  packContext,
} from '../../../src/rpc/amqp/oslo-message.js';
import { deserializeFailure, serializeFailure } from '../../../src/rpc/amqp/remote-error.js';

const ctx: RequestContext = {
  userId: 'u1',
  projectId: 'p1',
  isAdmin: false,
  roles: ['member'],
  requestId: 'req-1',
  readDeleted: 'no',
};

test('a request is an oslo v2 envelope with _context_* keys, and decodes back', () => {
  const env = encodeRequest({ method: 'create_volume', args: { volume_id: 'v' }, ctx, uniqueId: 'abc' });
  assert.equal(env['oslo.version'], '2.0');
  const inner = JSON.parse(env['oslo.message']);
  assert.equal(inner.method, 'create_volume');
  assert.equal(inner._context_user_id, 'u1');
  assert.equal(inner._context_is_admin, false);
  assert.equal(inner._context_request_id, 'req-1');
  assert.equal(inner._unique_id, 'abc');
  assert.equal('_msg_id' in inner, false);
  // as it arrives: bytes on the wire
  const back = decodeRequest(Buffer.from(JSON.stringify(env)));
  assert.deepEqual(back, { method: 'create_volume', args: { volume_id: 'v' }, ctx, uniqueId: 'abc' });
});

test('call fields travel; malformed requests throw', () => {
  const env = encodeRequest({
    method: 'm',
    args: {},
    ctx,
    uniqueId: 'u',
    msgId: 'm1',
    replyQ: 'reply_x',
    timeout: 5,
  });
  const r = decodeRequest(env);
  assert.equal(r.msgId, 'm1');
  assert.equal(r.replyQ, 'reply_x');
  assert.equal(r.timeout, 5);
  assert.throws(() => decodeRequest({ 'oslo.version': '2.0', 'oslo.message': '{"args":{}}' }), /no method/);
  assert.throws(() => decodeRequest('not json'));
  assert.deepEqual(packContext({ ...ctx, authToken: undefined })._context_auth_token, undefined);
});

test('replies carry the result or a failure', () => {
  assert.deepEqual(decodeReply(encodeReply({ msgId: 'a', result: { x: [1] } })), {
    msgId: 'a',
    result: { x: [1] },
    failure: null,
  });
  const r = decodeReply(encodeReply({ msgId: 'b', failure: serializeFailure(new Error('boom')) }));
  assert.equal(deserializeFailure(r.failure!).message, 'boom');
});

test('a known error class comes back as itself, with the remote message and fields', () => {
  const e = deserializeFailure(serializeFailure(new NoValidBackend('No weighed backends available')));
  assert.ok(e instanceof NoValidBackend);
  assert.ok(e instanceof CinderError);
  assert.equal(e.name, 'NoValidBackend');
  assert.equal(e.message, 'No valid backend was found. No weighed backends available');
  assert.equal(e.code, 500);
  const nf = deserializeFailure(serializeFailure(new VolumeNotFound('v-1')));
  assert.ok(nf instanceof VolumeNotFound);
  assert.equal(nf.code, 404);
  assert.equal(nf.message, 'Volume v-1 could not be found.');
  const lock = deserializeFailure(serializeFailure(new LockAcquireTimeout('v1-delete_volume', 5)));
  assert.ok(lock instanceof LockAcquireTimeout);
  assert.equal(lock.lockName, 'v1-delete_volume');
  assert.equal(lock.timeoutSeconds, 5);
  assert.equal(lock.message, 'Could not acquire lock v1-delete_volume within 5 seconds.');
  const t = deserializeFailure(serializeFailure(new MessagingTimeout('t', 'm', 3)));
  assert.ok(t instanceof MessagingTimeout);
  assert.equal(t.name, 'MessagingTimeout');
});

test('an unknown error class comes back as an Error with that name; the remote stack is kept', () => {
  class DriverExploded extends Error {
    override name = 'DriverExploded';
  }
  const e = deserializeFailure(serializeFailure(new DriverExploded('disk on fire')));
  assert.equal(e.constructor, Error);
  assert.equal(e.name, 'DriverExploded');
  assert.equal(Object.keys(e).includes('name'), false);
  assert.equal(e.message, 'disk on fire');
  assert.match(e.stack ?? '', /\[remote\]/);
  const s = deserializeFailure(serializeFailure('a string'));
  assert.equal(s.message, 'a string');
});

test('the duplicate checker remembers a bounded window of ids', () => {
  const d = new DuplicateChecker(2);
  assert.equal(d.seen('a'), false);
  assert.equal(d.seen('a'), true);
  assert.equal(d.seen('b'), false);
  assert.equal(d.seen('c'), false); // evicts a
  assert.equal(d.seen('a'), false);
  assert.equal(d.seen(''), false);
  assert.equal(d.seen(''), false);
});
