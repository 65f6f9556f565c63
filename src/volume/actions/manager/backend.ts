/**
 * What the manager side of the volume actions borrows from its volume service, and the checks
 * Cinder's scheduler would make before handing such a request to the service (`backend_passes_
 * filters`): Kindling casts extend, retype and migrate straight to the volume's backend, so the
 * backend asks them of its own pool, with the same filters and its freshest numbers.
 */
import type { RequestContext } from '../../../common/context.js';
import type { CoreDeps } from '../../../common/deps.js';
import { operationLockName } from '../../../coordination/index.js';
import type { VolumeRecord } from '../../../db/api/volumes.js';
import { BackendState, type PoolState } from '../../../scheduler/backend-state.js';
import { satisfiesExtraSpecs } from '../../../scheduler/filters/capabilities-filter.js';
import { CapacityFilter } from '../../../scheduler/filters/capacity-filter.js';
import type { FilterProperties, RequestSpec } from '../../../scheduler/types.js';
import type { VolumeDriver, VolumeStats } from '../../driver.js';

/** The volume service an action runs on (one `enabled_backends` entry). */
export interface ActionBackend {
  readonly deps: CoreDeps;
  /** `host@backend`. */
  readonly host: string;
  /** `cluster@backend`, or null. */
  readonly cluster: string | null;
  readonly availabilityZone: string;
  readonly driver: VolumeDriver;
  /** The backend's `report_discard_supported`: attach data says `discard: true` unless the driver did. */
  readonly reportDiscardSupported: boolean;
  initialized(): boolean;
  /** Driver stats with allocated capacity, as reported to the schedulers. */
  stats(): Promise<VolumeStats>;
  /** Whether this service may work on `v` (a clustered volume is taken over first). */
  takeIfOurs(v: VolumeRecord): Promise<boolean>;
  publishCapabilities(): Promise<void>;
}

/** Runs `fn` holding the volume's operation lock (`<id>-volume_op`, as the manager's own work). */
export function withVolumeLock<T>(b: ActionBackend, volumeId: string, fn: () => Promise<T>): Promise<T> {
  return b.deps.coordinator.withLock(operationLockName(volumeId, 'volume_op'), fn);
}

/** `volume.<host@backend>`, the publisher of the service's volume notifications. */
export function publisher(b: ActionBackend): string {
  return `volume.${b.host}`;
}

/** A log bound to the request and volume. */
export function actionLog(b: ActionBackend, ctx: RequestContext, volumeId: string) {
  return b.deps.log.child({ request_id: ctx.requestId, volume_id: volumeId, host: b.host });
}

/** This backend's pool `poolName` (its first pool when null) as the scheduler sees pools. */
export async function ownPool(b: ActionBackend, poolName: string | null): Promise<PoolState | null> {
  const state = new BackendState(b.host, b.cluster);
  state.updateFromVolumeCapability(
    { ...(await b.stats()), timestamp: new Date() },
    null,
    b.deps.config.DEFAULT.max_over_subscription_ratio,
  );
  if (!poolName) return state.pools.values().next().value ?? null;
  return state.pools.get(poolName) ?? null;
}

/** Extra specs and the request, as the filters read them. */
function filterProperties(
  extraSpecs: Readonly<Record<string, string>>,
  spec: Partial<RequestSpec>,
  extra: Partial<FilterProperties> = {},
): FilterProperties {
  const type = { extra_specs: { ...extraSpecs } };
  return { volume_type: type, resource_type: type, request_spec: spec as RequestSpec, ...extra };
}

/** Whether the pool's capabilities satisfy the extra specs (CapabilitiesFilter). */
export function poolSatisfies(
  pool: PoolState,
  extraSpecs: Readonly<Record<string, string>>,
  spec: Partial<RequestSpec> = {},
): boolean {
  return satisfiesExtraSpecs(pool.capabilities, filterProperties(extraSpecs, spec));
}

/**
 * Whether the pool has room (CapacityFilter): for a new volume of `size` GiB, or with `newSize`
 * for growing one of `size` to `newSize`.
 */
export function poolHasRoom(
  pool: PoolState,
  extraSpecs: Readonly<Record<string, string>>,
  size: number,
  newSize?: number,
): boolean {
  const props = filterProperties(extraSpecs, {}, { size, ...(newSize ? { new_size: newSize } : {}) });
  return new CapacityFilter(undefined).backendPasses(pool, props);
}
