import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APIVersion } from '../microversion.js';
import type { RequestContext } from '../../common/context.js';
import { rejectInvalidFilters } from './query-params.js';
import { snapshotFiltersFromQuery } from './snapshots-filters.js';

const badRequest = (message: string) => (e: Error) => e.name === 'BadRequest' && e.message === message;

test('rejectInvalidFilters: ASCII keys always; other keys than allowed (and all_tenants) when checked', () => {
  assert.throws(
    () => rejectInvalidFilters({ nàme: 'x' }, ['name'], false),
    badRequest('Filter keys can only contain ASCII characters.'),
  );
  assert.doesNotThrow(() => rejectInvalidFilters({ host: 'x', name: 'a' }, ['name'], false));
  assert.doesNotThrow(() => rejectInvalidFilters({ all_tenants: '1', name: 'a' }, ['name'], true));
  assert.throws(
    () => rejectInvalidFilters({ host: 'x', all_tenants: '1', zone: 'z', name: 'a' }, ['name'], true),
    badRequest('Invalid filters host,zone are found in query options.'),
  );
  const like = (k: string) => k === 'name' || k === 'name~';
  assert.doesNotThrow(() => rejectInvalidFilters({ 'name~': 'a' }, like, true));
  assert.throws(
    () => rejectInvalidFilters({ 'host~': 'a' }, like, true),
    badRequest('Invalid filters host~ are found in query options.'),
  );
});

test('snapshot list filters: a member is refused other keys (3.31+), and its all_tenants is dropped', () => {
  const member: RequestContext = {
    userId: 'u',
    projectId: 'p1',
    isAdmin: false,
    roles: ['member'],
    requestId: 'r',
  };
  const v = APIVersion.parse('3.31');
  assert.throws(
    () => snapshotFiltersFromQuery({ host: 'x', all_tenants: '1', name: 'a' }, member, v),
    badRequest('Invalid filters host are found in query options.'),
  );
  const f = snapshotFiltersFromQuery({ all_tenants: '1', name: 'a' }, member, v);
  assert.ok(f);
  assert.equal(JSON.stringify(f).includes('all_tenants'), false);
});
