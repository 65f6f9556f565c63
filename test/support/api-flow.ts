/**
 * The api create flow's own tasks (src/volume/flows/api/create-volume.ts) run against a test
 * Kindling's database, in either mode: to leave the rows a crash would leave, as the API process
 * would have written them.
 */
import { pino } from 'pino';
import type { CoreDeps } from '../../src/common/deps.js';
import { newRequestId, type RequestContext } from '../../src/common/context.js';
import type { VolumeRecord } from '../../src/db/api/volumes.js';
import { Engine, LinearFlow } from '../../src/flow/index.js';
import { QuotaEngine } from '../../src/quota/quota-engine.js';
import { quotaDefaults } from '../../src/service/core.js';
import { AvailabilityZones } from '../../src/volume/availability-zones.js';
import {
  EntryCreateTask,
  ExtractVolumeRequestTask,
  QuotaReserveTask,
  getFlow,
  type CreateVolumeRequest,
} from '../../src/volume/flows/api/create-volume.js';
import type { SchedulerRPCAPI } from '../../src/scheduler/rpcapi.js';
import { volumeGet } from '../../src/db/api/volumes.js';
import type { TestKindling } from './types.js';

/** What the api flow's first tasks need, built on the test Kindling's database and config. */
export function apiFlowDeps(k: TestKindling): CoreDeps {
  const config = k.core.config;
  const quotas = new QuotaEngine(k.core.dbh, {
    defaults: quotaDefaults(config),
    reservation_expire: config.DEFAULT.reservation_expire,
    use_default_quota_class: config.DEFAULT.use_default_quota_class,
  });
  const deps: Partial<CoreDeps> = { config, dbh: k.core.dbh, quotas, log: pino({ level: 'silent' }) };
  return deps as CoreDeps;
}

/** The noauth context of `project`'s user (same name), as the API builds it. */
export function userContext(project: string): RequestContext {
  return {
    userId: project,
    projectId: project,
    isAdmin: false,
    roles: ['member'],
    requestId: newRequestId(),
  };
}

/** A plain create request (no source), as the controller hands it to the flow. */
export function createRequest(context: RequestContext, over: Partial<CreateVolumeRequest> = {}) {
  const req: CreateVolumeRequest = {
    context,
    size: 1,
    name: null,
    description: null,
    volume_type: null,
    metadata: {},
    availability_zone: null,
    snapshot: null,
    source_volume: null,
    image_id: null,
    backup: null,
    group_id: null,
    scheduler_hints: null,
    ...over,
  };
  return req;
}

function availabilityZones(deps: CoreDeps): AvailabilityZones {
  return new AvailabilityZones(deps.dbh.db, {
    az_cache_duration: deps.config.DEFAULT.az_cache_duration,
    service_down_time: deps.config.DEFAULT.service_down_time,
  });
}

/**
 * Runs the whole api flow with the cast to the scheduler recorded, not delivered: the volume row
 * in `creating`, its quota committed. Returns the row as read back.
 */
export async function createdVolume(deps: CoreDeps, req: CreateVolumeRequest): Promise<VolumeRecord> {
  const scheduler = { createVolume: async () => {} } as unknown as SchedulerRPCAPI;
  const engine = new Engine(getFlow(deps, availabilityZones(deps), scheduler), { ...req });
  await engine.run();
  return (await volumeGet(deps.dbh.db, engine.fetch<VolumeRecord>('volume').id))!;
}

/**
 * Runs the api flow up to and including EntryCreateTask and stops there, as a process killed
 * before QuotaCommitTask would: quota reserved, the row written in `creating`, nothing committed
 * and nothing cast. Returns the row.
 */
export async function crashBeforeQuotaCommit(
  deps: CoreDeps,
  req: CreateVolumeRequest,
): Promise<VolumeRecord> {
  const azs = availabilityZones(deps);
  const engine = new Engine(
    new LinearFlow(
      'volume:create_api (killed before QuotaCommitTask)',
      new ExtractVolumeRequestTask(deps, azs),
      new QuotaReserveTask(deps),
      new EntryCreateTask(deps),
    ),
    { ...req },
  );
  await engine.run();
  return engine.fetch<VolumeRecord>('volume');
}
