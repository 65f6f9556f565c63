/**
 * The scheduler's decision (decision.ts) as the FilterScheduler fills it: each filter's pass with
 * the pools it removed and why, the weights, the chosen pool, the error; the INFO line; the text
 * a user message gets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoValidBackend } from '../../src/common/errors.js';
import {
  cinderFilterResults,
  decisionLine,
  newDecision,
  userMessageDetail,
  type SchedulerDecision,
} from '../../src/scheduler/decision.js';
import { FilterScheduler } from '../../src/scheduler/filter-scheduler.js';
import { hostManager, report, requestSpec, service, T0 } from './fixtures.js';
import type { SchedulerLogger } from '../../src/scheduler/types.js';

function setup() {
  const hm = hostManager([
    service('big@lvm', { availability_zone: 'az1' }),
    service('small@lvm', { availability_zone: 'az1' }),
    service('far@lvm', { availability_zone: 'az2' }),
  ]);
  hm.updateServiceCapabilities('volume', 'big@lvm', report({ free_capacity_gb: 100 }), null, T0);
  hm.updateServiceCapabilities('volume', 'small@lvm', report({ free_capacity_gb: 40 }), null, T0);
  hm.updateServiceCapabilities('volume', 'far@lvm', report({ free_capacity_gb: 500 }), null, T0);
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const log: SchedulerLogger = {
    debug: () => {},
    info: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }),
    warn: () => {},
    error: () => {},
  };
  return { scheduler: new FilterScheduler(hm, { scheduler_max_attempts: 3, logger: log }), lines };
}

test('a placement: filters with what they removed and why, weights, the chosen pool, one INFO line', async () => {
  const { scheduler, lines } = setup();
  const spec = requestSpec(60, { volume_id: 'v1', availability_zones: ['az1'] });
  const d = newDecision('create_volume', spec, 'req-1');
  const chosen = await scheduler.scheduleCreateVolume(spec, {}, undefined, d);
  assert.equal(chosen.volumeHost, 'big@lvm#lvm');
  assert.equal(d.chosen, 'big@lvm#lvm');
  assert.equal(d.error, null);
  assert.equal(d.attempt, 1);
  assert.deepEqual(d.pools, ['big@lvm#lvm', 'small@lvm#lvm', 'far@lvm#lvm']);
  assert.deepEqual(
    d.filters.map((f) => [f.filter, f.start, f.end, f.removed]),
    [
      [
        'AvailabilityZoneFilter',
        3,
        2,
        [{ pool: 'far@lvm#lvm', reason: 'availability zone az2 is not one of az1' }],
      ],
      [
        'CapacityFilter',
        2,
        1,
        [{ pool: 'small@lvm#lvm', reason: 'insufficient free space: 60 GiB requested, 40 GiB available' }],
      ],
      ['CapabilitiesFilter', 1, 1, []],
    ],
  );
  assert.deepEqual(d.weights, [{ pool: 'big@lvm#lvm', weight: 0 }]);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.obj.request_id, 'req-1');
  assert.equal(lines[0]!.obj.volume_id, 'v1');
  assert.equal(lines[0]!.obj.chosen, 'big@lvm#lvm');
  assert.equal(
    lines[0]!.msg,
    'Scheduler chose big@lvm#lvm for volume v1; size 60 GiB, type none, 3 pool(s); filters: ' +
      'AvailabilityZoneFilter 3->2 [far@lvm#lvm: availability zone az2 is not one of az1], ' +
      'CapacityFilter 2->1 [small@lvm#lvm: insufficient free space: 60 GiB requested, 40 GiB available], ' +
      'CapabilitiesFilter 1->1; weights: big@lvm#lvm=0',
  );
});

test('nothing fits: the error, Cinder’s filter results and a user-message text without pool names', async () => {
  const { scheduler, lines } = setup();
  const type = { id: 't', name: 'gold', extra_specs: { volume_backend_name: 'ceph' } };
  const spec = requestSpec(1, { volume_id: 'v2', volume_type: type });
  const d: SchedulerDecision = newDecision('create_volume', spec);
  await assert.rejects(scheduler.scheduleCreateVolume(spec, {}, undefined, d), NoValidBackend);
  assert.equal(d.chosen, null);
  assert.equal(d.volume_type, 'gold');
  assert.equal(d.error, 'No valid backend was found. No weighed backends available');
  const caps = d.filters.find((f) => f.filter === 'CapabilitiesFilter')!;
  assert.equal(caps.removed.length, 3);
  assert.match(
    caps.removed[0]!.reason,
    /^capability 'volume_backend_name' is '.*', extra spec volume_backend_name asks 'ceph'$/,
  );
  assert.equal(
    cinderFilterResults(d),
    'AvailabilityZoneFilter: (start: 3, end: 3), CapacityFilter: (start: 3, end: 3), CapabilitiesFilter: (start: 3, end: 0)',
  );
  const text = userMessageDetail(d, d.error);
  assert.equal(
    text,
    'No valid backend was found. No weighed backends available. Filter results: AvailabilityZoneFilter: (start: 3, end: 3), ' +
      'CapacityFilter: (start: 3, end: 3), CapabilitiesFilter: (start: 3, end: 0). Removed all backends: CapabilitiesFilter.',
  );
  assert.doesNotMatch(text, /@lvm/);
  assert.match(
    lines[0]!.msg,
    /^Scheduler found no backend for volume v2: No valid backend was found\. No weighed backends available; /,
  );
  assert.match(decisionLine(d), /CapabilitiesFilter 3->0 \[big@lvm#lvm: capability/);
});

test('backend_passes_filters decisions are logged too', async () => {
  const { scheduler, lines } = setup();
  await scheduler.backendPassesFilters('small@lvm', requestSpec(10, { volume_id: 'v3' }));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!.msg, /^Scheduler chose small@lvm#lvm for volume v3/);
});
