import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APIVersion } from '../../src/api/microversion.js';
import type { RequestContext } from '../../src/common/context.js';
import {
  filterKeyAllowed,
  parseResourceFilters,
  rejectInvalidFilters,
  ResourceFiltersFile,
} from '../../src/api/resource-filters.js';
import { snapshotFiltersFromQuery } from '../../src/api/v3/snapshots-filters.js';
import { volumeFiltersFromQuery } from '../../src/api/v3/volume-filters.js';

const badRequest = (message: string) => (e: Error) => e.name === 'BadRequest' && e.message === message;
const shipped = new ResourceFiltersFile(
  fileURLToPath(new URL('../../etc/resource_filters.json', import.meta.url)),
);
const member: RequestContext = {
  userId: 'u',
  projectId: 'p1',
  isAdmin: false,
  roles: ['member'],
  requestId: 'r',
};
const admin: RequestContext = { ...member, isAdmin: true, roles: ['admin'] };

function tempFile(content: string): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-rf-'));
  const path = join(dir, 'resource_filters.json');
  writeFileSync(path, content);
  return { path, dir };
}

test("the shipped file is Cinder Zed's defaults, in its order", () => {
  assert.deepEqual(Object.keys(shipped.all()), [
    'volume',
    'backup',
    'snapshot',
    'group',
    'group_snapshot',
    'attachment',
    'message',
    'pool',
    'volume_type',
  ]);
  assert.deepEqual(shipped.get('backup'), { backup: ['name', 'status', 'volume_id'] });
  assert.deepEqual(shipped.get('nothing'), {});
  assert.equal(shipped.get(''), shipped.all());
});

test('parseResourceFilters: an object of lists; other entries and items left out; not an object throws', () => {
  assert.deepEqual(parseResourceFilters('{"volume": ["name", 3, "size"], "odd": "name", "x": []}'), {
    volume: ['name', 'size'],
    x: [],
  });
  assert.throws(() => parseResourceFilters('["volume"]'), /JSON object/);
  assert.throws(() => parseResourceFilters('{"volume": ['));
});

test('a missing or broken file is no filters; a changed file is read again', (t) => {
  const { path, dir } = tempFile('{"volume": ["name"]}');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = 0;
  const errors: string[] = [];
  const log = { error: (_o: unknown, m: string) => errors.push(m), info: () => {} };
  const f = new ResourceFiltersFile(path, log as never, () => now);
  assert.deepEqual(f.all(), { volume: ['name'] });
  writeFileSync(path, '{"volume": ["name", "status"], "backup": ["name"]}');
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  assert.deepEqual(f.all(), { volume: ['name'] }, 'looked at no more than once a second');
  now += 1000;
  assert.deepEqual(f.all(), { volume: ['name', 'status'], backup: ['name'] });
  writeFileSync(path, 'not json');
  utimesSync(path, new Date(), new Date(Date.now() + 10000));
  now += 1000;
  assert.deepEqual(f.all(), {});
  rmSync(path);
  now += 1000;
  assert.deepEqual(f.all(), {});
  now += 1000;
  assert.deepEqual(f.all(), {});
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[1]!, /^resource query filters file does not exist: /);
});

test('filterKeyAllowed: key~ is allowed only when the file names key~ (so key~ needs key~~)', () => {
  assert.equal(filterKeyAllowed(['name'], 'name', true), true);
  assert.equal(filterKeyAllowed(['name'], 'name~', true), false);
  assert.equal(filterKeyAllowed(['name~'], 'name', true), true);
  assert.equal(filterKeyAllowed(['name~'], 'name', false), false);
  assert.equal(filterKeyAllowed(['name~'], 'name~', true), true);
});

test("rejectInvalidFilters: ASCII keys always; admins exempt but on pools; a member's all_tenants dropped", () => {
  assert.throws(
    () => rejectInvalidFilters(admin, { nàme: 'x' }, 'volume', true, shipped),
    badRequest('Filter keys can only contain ASCII characters.'),
  );
  assert.doesNotThrow(() => rejectInvalidFilters(admin, { host: 'x' }, 'volume', true, shipped));
  assert.throws(
    () => rejectInvalidFilters(admin, { host: 'x', name: 'p' }, 'pool', true, shipped),
    badRequest('Invalid filters host are found in query options.'),
  );
  const q: Record<string, string> = { all_tenants: '1', name: 'a' };
  rejectInvalidFilters(member, q, 'backup', true, shipped);
  assert.deepEqual(q, { name: 'a' });
  assert.throws(
    () =>
      rejectInvalidFilters(
        member,
        { host: 'x', all_tenants: '1', zone: 'z', name: 'a' },
        'backup',
        true,
        shipped,
      ),
    badRequest('Invalid filters host,zone are found in query options.'),
  );
  assert.throws(
    () => rejectInvalidFilters(member, { 'name~': 'a' }, 'volume', true, shipped),
    badRequest('Invalid filters name~ are found in query options.'),
  );
  assert.throws(
    () => rejectInvalidFilters(member, { name: 'a' }, 'unknown_resource', true, shipped),
    badRequest('Invalid filters name are found in query options.'),
  );
});

test('snapshot list filters: a member is refused other keys (3.31+), and its all_tenants is dropped', () => {
  const v = APIVersion.parse('3.31');
  assert.throws(
    () => snapshotFiltersFromQuery({ host: 'x', all_tenants: '1', name: 'a' }, member, v, shipped),
    badRequest('Invalid filters host are found in query options.'),
  );
  const f = snapshotFiltersFromQuery({ all_tenants: '1', name: 'a' }, member, v, shipped);
  assert.ok(f);
  assert.equal(JSON.stringify(f).includes('all_tenants'), false);
});

test('volume list filters: from the file (refused 3.31+, dropped before and on the summary)', () => {
  const v331 = APIVersion.parse('3.31');
  assert.throws(
    () => volumeFiltersFromQuery({ host: 'h', project_id: 'p2' }, member, v331, shipped),
    badRequest('Invalid filters host,project_id are found in query options.'),
  );
  assert.throws(
    () => volumeFiltersFromQuery({ glance_metadata: '{}' }, member, APIVersion.parse('3.70'), shipped),
    badRequest('Invalid filters glance_metadata are found in query options.'),
  );
  assert.throws(
    () => volumeFiltersFromQuery({ with_count: 'true' }, member, APIVersion.parse('3.44'), shipped),
    badRequest('Invalid filters with_count are found in query options.'),
  );
  assert.deepEqual(
    volumeFiltersFromQuery({ with_count: 'true', name: 'a' }, member, APIVersion.parse('3.45'), shipped),
    { columns: { display_name: 'a' }, like: {}, project_id: 'p1' },
  );
  assert.deepEqual(
    volumeFiltersFromQuery({ host: 'h', name: 'a' }, member, APIVersion.parse('3.30'), shipped),
    {
      columns: { display_name: 'a' },
      like: {},
      project_id: 'p1',
    },
  );
  assert.deepEqual(volumeFiltersFromQuery({ host: 'h', name: 'a' }, member, v331, shipped, true), {
    columns: { display_name: 'a' },
    like: {},
    project_id: 'p1',
  });
  assert.deepEqual(
    volumeFiltersFromQuery({ host: 'h', 'name~': 'a' }, admin, APIVersion.parse('3.34'), shipped),
    {
      columns: { host: 'h' },
      like: { display_name: 'a' },
      project_id: 'p1',
    },
  );
  assert.deepEqual(volumeFiltersFromQuery({ consumes_quota: 'false' }, member, v331, shipped), {
    columns: { use_quota: 0 },
    like: {},
    project_id: 'p1',
  });
  assert.throws(
    () => volumeFiltersFromQuery({ consumes_quota: 'maybe' }, member, v331, shipped),
    (e: Error) => e.message === "Value 'maybe' for 'use_quota' is not a boolean.",
  );
});
