/**
 * The scheduler side of create-volume (Cinder's `scheduler/flows/create_volume.py`, flow
 * `volume:create_scheduler`): rebuild the request spec if needed, pick a backend, record it on the
 * volume and cast to that backend. Failure: the volume goes to `error` with a user message and an
 * ERROR notification; a NoValidBackend is not re-raised (the API already answered 202).
 */
import { Task, LinearFlow } from '../../flow/index.js';
import type { RequestContext } from '../../common/context.js';
import type { CoreDeps } from '../../common/deps.js';
import { NoValidBackend } from '../../common/errors.js';
import { volumeGet, volumeUpdate } from '../../db/api/volumes.js';
import { claimVolumeHost } from '../../db/api/capacity-claims.js';
import { requestSpecFromVolume } from '../request-spec.js';
import { isoNow } from '../../common/time.js';
import { Action, Resource } from '../../message/message-field.js';
import type { VolumeRPCAPI } from '../../volume/rpcapi.js';
import type { FilterScheduler } from '../filter-scheduler.js';
import { newDecision, userMessageDetail, type SchedulerDecision } from '../decision.js';
import type { FilterProperties, RequestSpec } from '../types.js';

type ExtractInputs = { request_spec: RequestSpec | null; volume_id: string };

/**
 * Makes sure there is a full request spec: an older caller may send only the volume id, so the
 * spec is rebuilt from the volume row.
 * Revert: nothing to undo.
 */
export class ExtractSchedulerSpecTask extends Task<ExtractInputs, RequestSpec> {
  constructor(private readonly deps: CoreDeps) {
    super({ requires: ['request_spec', 'volume_id'], provides: ['request_spec'] });
  }

  async execute({ request_spec, volume_id }: ExtractInputs): Promise<RequestSpec> {
    if (request_spec?.volume_properties) return request_spec;
    const v = await volumeGet(this.deps.dbh.db, volume_id);
    if (!v) throw new Error(`volume ${volume_id} is gone`);
    return requestSpecFromVolume(this.deps.dbh.db, v);
  }
}

type ScheduleInputs = {
  context: RequestContext;
  request_spec: RequestSpec;
  filter_properties: FilterProperties;
};

/** Told the scheduler's decision for the volume (the flow trace keeps it). */
export type DecisionObserver = (decision: SchedulerDecision) => void;

/**
 * Runs the FilterScheduler, claims the pool's capacity in the database while recording
 * `host@backend#pool` (and the backend's zone) on the volume, and casts `create_volume` to `cinder-volume.<host@backend>`.
 * The decision (filters, weights, chosen pool) is logged at INFO and given to `onDecision`.
 * Revert: on failure the volume goes to `error`, with a user message (action 001, the
 * scheduler's reasons after Cinder's detail) and a `scheduler.create_volume` ERROR notification.
 */
export class ScheduleCreateVolumeTask extends Task<ScheduleInputs, void> {
  constructor(
    private readonly deps: CoreDeps,
    private readonly scheduler: FilterScheduler,
    private readonly volumeRpc: VolumeRPCAPI,
    private readonly onDecision?: DecisionObserver,
  ) {
    super({ requires: ['context', 'request_spec', 'filter_properties'] });
  }

  async execute({ context, request_spec, filter_properties }: ScheduleInputs): Promise<void> {
    const volumeId = request_spec.volume_id;
    const decision = newDecision('create_volume', request_spec, context.requestId);
    try {
      let updated = false;
      const chosen = await this.scheduler.scheduleCreateVolume(
        request_spec,
        filter_properties,
        async (c) => {
          const r = await claimVolumeHost(this.deps.dbh, {
            volumeId,
            volumeHost: c.volumeHost,
            size: c.size,
            limitGb: c.limitGb,
            values: {
              cluster_name: c.clusterName,
              scheduled_at: isoNow(),
              availability_zone: c.availabilityZone,
            },
          });
          updated = r.updated;
          return r;
        },
        decision,
      );
      this.onDecision?.(decision);
      if (!updated) return; // deleted while we were scheduling
      await this.volumeRpc.createVolume(
        context,
        { host: chosen.volumeHost, cluster_name: chosen.clusterName },
        {
          volume_id: volumeId,
          request_spec,
          filter_properties,
          allow_reschedule: true,
        },
      );
    } catch (e) {
      decision.error ??= e instanceof Error ? e.message : String(e);
      this.onDecision?.(decision);
      await this.#fail(context, request_spec, e, decision);
      if (!(e instanceof NoValidBackend)) throw e;
    }
  }

  async #fail(
    ctx: RequestContext,
    spec: RequestSpec,
    e: unknown,
    decision: SchedulerDecision,
  ): Promise<void> {
    const reason = e instanceof Error ? e.message : String(e);
    const v = await volumeGet(this.deps.dbh.db, spec.volume_id);
    await volumeUpdate(this.deps.dbh.db, spec.volume_id, { status: 'error' });
    await this.deps.messages.create(ctx, Action.SCHEDULE_ALLOCATE_VOLUME, {
      resourceType: Resource.VOLUME,
      resourceUuid: spec.volume_id,
      projectId: v?.project_id ?? ctx.projectId,
      error: e,
      // NOTE: Cinder's user message stops at its detail; Kindling adds why (no pool names).
      detailText: e instanceof NoValidBackend ? userMessageDetail(decision, reason) : null,
    });
    await this.deps.notifier.notify(
      `scheduler.${this.deps.config.DEFAULT.host}`,
      'scheduler.create_volume',
      {
        request_spec: spec,
        volume_properties: spec.volume_properties,
        volume_id: spec.volume_id,
        state: 'error',
        method: 'create_volume',
        reason,
      },
      'ERROR',
    );
    this.deps.log.warn({ volume_id: spec.volume_id, err: reason }, 'Failed to schedule create_volume');
  }
}

/**
 * The scheduler flow:
 * 1. ExtractSchedulerSpecTask — a full request spec
 * 2. ScheduleCreateVolumeTask — filter, weigh, record the host, cast to the backend
 */
export function getFlow(
  deps: CoreDeps,
  scheduler: FilterScheduler,
  volumeRpc: VolumeRPCAPI,
  onDecision?: DecisionObserver,
): LinearFlow {
  return new LinearFlow(
    'volume:create_scheduler',
    new ExtractSchedulerSpecTask(deps),
    new ScheduleCreateVolumeTask(deps, scheduler, volumeRpc, onDecision),
  );
}
