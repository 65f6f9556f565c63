/**
 * Scheduler decisions made visible (issue 13 item 3), in both modes: the user message of a volume
 * no backend takes names the filter that removed every pool (after Cinder's own text); the
 * admin-only trace endpoint (`GET /volumes/{id}/trace`, Kindling's own) shows every task of the
 * three create flows with its outcome and revert, and the scheduler's decision (pools removed and
 * why, weights, the chosen pool); in keystone mode others get a 403 or a 404.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  mv,
  startTestKindling,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';
import { FakeKeystone } from '../auth/fake-keystone.js';
import type { DriverFaultSpec } from '../support/driver-faults.js';

const TWO_BACKENDS = {
  KINDLING__DEFAULT__enabled_backends: 'alpha,beta',
  KINDLING__alpha__volume_driver: 'file',
  KINDLING__beta__volume_driver: 'file',
};

const API_TASKS = [
  'ExtractVolumeRequestTask',
  'QuotaReserveTask',
  'EntryCreateTask',
  'QuotaCommitTask',
  'VolumeCastTask',
];
const SCHEDULER_TASKS = ['ExtractSchedulerSpecTask', 'ScheduleCreateVolumeTask'];

interface TaskTrace {
  name: string;
  outcome: string;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  error?: string;
  revert?: { outcome: string; started_at: string; ended_at: string; duration_ms: number; error?: string };
}
interface FlowTrace {
  flow: string;
  host: string | null;
  request_id: string | null;
  outcome: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  tasks: TaskTrace[];
  decision?: any;
}

/** The volume's trace once `flows` runs are stored (writes happen as each flow ends). */
async function traceOf(k: TestKindling, id: string, flows: number, project = 'admin'): Promise<FlowTrace[]> {
  let last: unknown;
  try {
    return await waitFor(async () => {
      const r = await k.req('GET', `/v3/${project}/volumes/${id}/trace`);
      last = r.text;
      return r.status === 200 && r.body.trace.flows.length >= flows
        ? (r.body.trace.flows as FlowTrace[])
        : null;
    });
  } catch {
    throw new Error(`no ${flows} flow runs in the trace of ${id}: ${String(last)}`);
  }
}

function assertTasksRan(f: FlowTrace, names: readonly string[]): void {
  assert.deepEqual(
    f.tasks.map((t) => [t.name, t.outcome]),
    names.map((n) => [n, 'success']),
    `${f.flow}: ${JSON.stringify(f.tasks)}`,
  );
  for (const t of f.tasks) {
    assert.match(t.started_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.ok(t.ended_at! >= t.started_at!, JSON.stringify(t));
    assert.ok(typeof t.duration_ms === 'number' && t.duration_ms >= 0);
    assert.equal(t.revert, undefined);
  }
  assert.ok(f.finished_at >= f.started_at);
}

test('a type no backend satisfies: the user message names the filter; the trace has the decision and its reasons', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const type = await k.req('POST', '/v3/admin/types', {
    volume_type: { name: 'nowhere', extra_specs: { volume_backend_name: 'nope' } },
  });
  assert.equal(type.status, 200, type.text);
  const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, volume_type: 'nowhere' } });
  assert.equal(r.status, 202, r.text);
  const id = r.body.volume.id as string;
  await waitForVolumeStatus(k, id, ['error']);

  const msgs = await waitFor(async () => {
    const m = await k.req('GET', `/v3/admin/messages?resource_uuid=${id}`, undefined, mv('3.5'));
    return m.body?.messages?.length > 0 && m.body.messages;
  });
  assert.equal(msgs[0].event_id, 'VOLUME_VOLUME_001_003');
  // Cinder's text first, then the NoValidBackend reason and Cinder's own filter-results summary;
  // no pool names (the project reads this; the pools are in the admin's trace).
  assert.equal(
    msgs[0].user_message,
    'schedule allocate volume:Could not find any available weighted backend. ' +
      'No valid backend was found. No weighed backends available. ' +
      'Filter results: AvailabilityZoneFilter: (start: 1, end: 1), CapacityFilter: (start: 1, end: 1), ' +
      'CapabilitiesFilter: (start: 1, end: 0), IgnoreAttemptedHostsFilter: (start: 0, end: 0). ' +
      'Removed all backends: CapabilitiesFilter.',
  );

  const flows = await traceOf(k, id, 2);
  assert.deepEqual(
    flows.map((f) => [f.flow, f.outcome]),
    [
      ['volume:create_api', 'success'],
      ['volume:create_scheduler', 'success'],
    ],
  );
  assertTasksRan(flows[0]!, API_TASKS);
  assertTasksRan(flows[1]!, SCHEDULER_TASKS);
  assert.equal(flows[0]!.request_id, r.headers['x-openstack-request-id']);
  const d = flows[1]!.decision;
  assert.equal(d.volume_id, id);
  assert.equal(d.chosen, null);
  assert.equal(d.error, 'No valid backend was found. No weighed backends available');
  assert.equal(d.volume_type, 'nowhere');
  assert.equal(d.size, 1);
  assert.equal(d.pools.length, 1);
  const pool = d.pools[0];
  assert.match(pool, /@lvmdriver-1#lvmdriver-1$|@[^#]+#.+$/);
  assert.deepEqual(
    d.filters.map((f: any) => [f.filter, f.start, f.end]),
    [
      ['AvailabilityZoneFilter', 1, 1],
      ['CapacityFilter', 1, 1],
      ['CapabilitiesFilter', 1, 0],
      ['IgnoreAttemptedHostsFilter', 0, 0],
    ],
  );
  assert.deepEqual(d.filters[2].removed, [
    {
      pool,
      reason: `capability 'volume_backend_name' is '${pool.split('#')[1]}', extra spec volume_backend_name asks 'nope'`,
    },
  ]);
  assert.deepEqual(d.weights, []);
});

test('a successful create: three flows, every task, the weights and the chosen pool', async (t) => {
  const k = await startTestKindling(TWO_BACKENDS);
  t.after(() => k.close());
  const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, name: 'traced' } });
  assert.equal(r.status, 202, r.text);
  const id = r.body.volume.id as string;
  const v = await waitForVolumeStatus(k, id, ['available']);

  const flows = await traceOf(k, id, 3);
  assert.deepEqual(
    flows.map((f) => [f.flow, f.outcome]),
    [
      ['volume:create_api', 'success'],
      ['volume:create_scheduler', 'success'],
      ['volume:create_manager', 'success'],
    ],
  );
  const [api, scheduler, manager] = flows as [FlowTrace, FlowTrace, FlowTrace];
  assertTasksRan(api, API_TASKS);
  assertTasksRan(scheduler, SCHEDULER_TASKS);
  assert.deepEqual(
    manager.tasks.map((x) => x.name),
    [
      'ExtractVolumeRefTask',
      'OnFailureRescheduleTask',
      'ExtractVolumeSpecTask',
      'NotifyVolumeActionTask:create.start',
      'CreateVolumeFromSpecTask',
      'CreateVolumeOnFinishTask',
    ],
  );
  assertTasksRan(
    manager,
    manager.tasks.map((x) => x.name),
  );
  // Every flow ran for the same request, on its own service.
  for (const f of flows) assert.equal(f.request_id, r.headers['x-openstack-request-id']);
  assert.match(manager.host!, /@(alpha|beta)$/);
  assert.ok(scheduler.started_at >= api.started_at && manager.started_at >= scheduler.started_at);

  const d = scheduler.decision;
  assert.equal(d.chosen, v['os-vol-host-attr:host']);
  assert.equal(d.error, null);
  assert.equal(d.attempt, 1);
  assert.equal(d.pools.length, 2);
  for (const f of d.filters) {
    assert.equal(f.start, 2, JSON.stringify(f));
    assert.equal(f.end, 2, JSON.stringify(f));
  }
  assert.deepEqual(d.weights.map((w: any) => w.pool).sort(), [...d.pools].sort());
  assert.equal(d.weights[0].pool, d.chosen, 'the chosen pool is the best weighed');
  assert.ok(d.weights[0].weight >= d.weights[1].weight);
});

test('a driver failing everywhere: the manager flows show the failure and every revert, one decision per attempt', async (t) => {
  const faults: DriverFaultSpec = {
    alpha: { createVolumeError: 'backend exploded' },
    beta: { createVolumeError: 'backend exploded' },
  };
  const k = await startTestKindling(TWO_BACKENDS, { driverFaults: faults });
  t.after(() => k.close());
  const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1 } });
  assert.equal(r.status, 202, r.text);
  const id = r.body.volume.id as string;
  await waitForVolumeStatus(k, id, ['error']);
  // The api flow, then (scheduler, manager) per attempt, then the scheduler that runs out of them.
  // NOTE: a manager flow is stored when it ends, after its revert has already rescheduled.
  const flows = await waitFor(async (): Promise<FlowTrace[] | null> => {
    const all = await traceOf(k, id, 4);
    const count = (flow: string) => all.filter((f) => f.flow === flow).length;
    const done =
      all.at(-1)?.decision?.error && count('volume:create_manager') === count('volume:create_scheduler') - 1;
    return done ? all : null;
  });
  const names = flows.map((f) => f.flow);
  const attempts = (names.length - 2) / 2;
  assert.ok(attempts >= 2, names.join(', '));
  assert.deepEqual(names, [
    'volume:create_api',
    ...Array.from({ length: attempts }, () => ['volume:create_scheduler', 'volume:create_manager']).flat(),
    'volume:create_scheduler',
  ]);
  const decisions = flows.filter((f) => f.flow === 'volume:create_scheduler').map((f) => f.decision);
  assert.deepEqual(
    decisions.map((d) => d.attempt),
    Array.from({ length: attempts + 1 }, (_, i) => i + 1),
  );
  for (const d of decisions.slice(0, -1)) assert.ok(d.chosen, JSON.stringify(d));
  assert.deepEqual(decisions[1].tried, [decisions[0].chosen]);
  // Kindling's default filters skip pools already tried: the last attempt finds none left.
  const last = decisions.at(-1);
  assert.equal(last.chosen, null);
  assert.equal(last.error, 'No valid backend was found. No weighed backends available');
  const ignore = last.filters.find((f: any) => f.filter === 'IgnoreAttemptedHostsFilter');
  assert.deepEqual(
    ignore.removed.map((x: any) => x.reason),
    [1, 2].map(() => 'already tried by an earlier attempt'),
  );
  assert.deepEqual(ignore.removed.map((x: any) => x.pool).sort(), [...last.tried].sort());

  for (const m of flows.filter((f) => f.flow === 'volume:create_manager')) {
    assert.equal(m.outcome, 'reverted');
    const byName = Object.fromEntries(m.tasks.map((x) => [x.name, x]));
    assert.equal(byName.CreateVolumeFromSpecTask!.outcome, 'failure');
    assert.match(byName.CreateVolumeFromSpecTask!.error ?? '', /backend exploded/);
    assert.equal(byName.CreateVolumeOnFinishTask!.outcome, 'not_run');
    assert.equal(byName.CreateVolumeOnFinishTask!.revert, undefined);
    // Every task that ran was reverted, newest first.
    const ran = m.tasks.filter((x) => x.outcome !== 'not_run');
    for (const x of ran) assert.equal(x.revert?.outcome, 'reverted', JSON.stringify(x));
    for (let i = 1; i < ran.length; i++)
      assert.ok(ran[i]!.revert!.started_at <= ran[i - 1]!.revert!.started_at, JSON.stringify(ran));
  }
  const msgs = await waitFor(async () => {
    const m = await k.req('GET', `/v3/admin/messages?resource_uuid=${id}`, undefined, mv('3.5'));
    return m.body?.messages?.some((x: any) => x.event_id === 'VOLUME_VOLUME_001_003') && m.body.messages;
  });
  const sched = msgs.find((x: any) => x.event_id === 'VOLUME_VOLUME_001_003');
  assert.match(
    sched.user_message,
    /^schedule allocate volume:Could not find any available weighted backend\. No valid backend was found\. No weighed backends available\. Filter results: .*IgnoreAttemptedHostsFilter: \(start: 2, end: 0\)\. Removed all backends: IgnoreAttemptedHostsFilter\.$/,
  );
});

test('traces of an unknown volume are a 404; below every microversion the route is the same', async (t) => {
  const k = await startTestKindling({}, { waitForPools: false });
  t.after(() => k.close());
  const r = await k.req('GET', '/v3/admin/volumes/00000000-0000-0000-0000-000000000000/trace');
  assert.equal(r.status, 404, r.text);
  assert.equal(
    r.body.itemNotFound.message,
    'Volume 00000000-0000-0000-0000-000000000000 could not be found.',
  );
});

async function keystoneRig(t: TestContext) {
  const ks = await new FakeKeystone().start();
  t.after(() => ks.stop());
  const k = await startTestKindling(
    {
      KINDLING__DEFAULT__auth_strategy: 'keystone',
      KINDLING__keystone_authtoken__auth_url: `${ks.url}/v3`,
      KINDLING__keystone_authtoken__username: 'kindling',
      KINDLING__keystone_authtoken__password: 'secret',
      KINDLING__keystone_authtoken__project_name: 'service',
    },
    { waitForPools: false },
  );
  t.after(() => k.close());
  const admin = ks.issue({ userId: 'uadm', projectId: 'padm', roles: ['admin', 'member', 'reader'] });
  const a = ks.issue({ userId: 'ua', projectId: 'pa', roles: ['member', 'reader'] });
  const b = ks.issue({ userId: 'ub', projectId: 'pb', roles: ['member', 'reader'] });
  await waitFor(
    async () =>
      (await k.req('GET', '/v3/padm/scheduler-stats/get_pools', undefined, { 'x-auth-token': admin })).body
        ?.pools?.length > 0,
  );
  return { k, admin, a, b };
}

test('keystone mode: the trace is admin only — the owner gets a 403, another project a 404', async (t) => {
  const { k, admin, a, b } = await keystoneRig(t);
  const as = (token: string) => ({ 'x-auth-token': token });
  const c = await k.req('POST', '/v3/pa/volumes', { volume: { size: 1 } }, as(a));
  assert.equal(c.status, 202, c.text);
  const id = c.body.volume.id as string;
  await waitFor(
    async () =>
      (await k.req('GET', `/v3/pa/volumes/${id}`, undefined, as(a))).body?.volume?.status === 'available',
  );

  const own = await k.req('GET', `/v3/pa/volumes/${id}/trace`, undefined, as(a));
  assert.equal(own.status, 403, own.text);
  assert.deepEqual(own.body, {
    forbidden: { code: 403, message: "Policy doesn't allow volume:get_trace to be performed." },
  });
  const other = await k.req('GET', `/v3/pb/volumes/${id}/trace`, undefined, as(b));
  assert.equal(other.status, 404, other.text);

  const seen = await waitFor(async () => {
    const r = await k.req('GET', `/v3/padm/volumes/${id}/trace`, undefined, as(admin));
    return r.status === 200 && r.body.trace.flows.length === 3 && r;
  });
  assert.equal(seen.body.trace.volume_id, id);
  assert.ok(seen.body.trace.flows[1].decision.chosen);
});
