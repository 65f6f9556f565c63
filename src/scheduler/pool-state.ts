/**
 * One pool of a backend, the unit the scheduler filters, weighs and places volumes on
 * (Cinder's `PoolState`). Its name is `host@backend#pool` (Cinder's `volume_utils.append_host`).
 */
import { appendHost } from '../common/host.js';
import type { CapacityValue, VolumeServiceInfo } from './types.js';
import { calculateMaxOverSubscriptionRatio } from './capacity.js';
import { type CapabilityDict, hasEntries, StateBase } from './state-base.js';

/** Capacity state of one pool, as last reported and then virtually consumed. */
export class PoolState extends StateBase {
  readonly pool_name: string;
  total_capacity_gb: CapacityValue = 0;
  /** `null` means the driver reported no free capacity at all (CapacityFilter fails it). */
  free_capacity_gb: CapacityValue | null = null;
  /** GiB Cinder placed here. */
  allocated_capacity_gb = 0;
  /** Apparent GiB of all volumes here; defaults to `allocated_capacity_gb`. */
  provisioned_capacity_gb = 0;
  reserved_percentage = 0;
  /** Effective ratio (an `auto` setting is already computed). */
  max_over_subscription_ratio = 1.0;
  thin_provisioning_support = false;
  thick_provisioning_support = false;
  multiattach = false;
  QoS_support = false;

  /**
   * @param host `host@backend` of the owning backend
   * @param clusterName the backend's cluster, if any
   * @param poolName pool name appended as `#pool`
   */
  constructor(host: string, clusterName: string | null, poolName: string) {
    super(appendHost(host, poolName), appendHost(clusterName, poolName) ?? null);
    this.pool_name = poolName;
  }

  /**
   * Apply a pool capability report (already merged with backend info). The dict is always
   * stored; the numbers are only taken when the report is not older than this pool's last
   * update, so a pool virtually consumed after the report keeps its consumed numbers.
   */
  updateFromVolumeCapability(
    capability: CapabilityDict,
    service: VolumeServiceInfo | null,
    globalMaxOverSubscriptionRatio: string | number,
  ): void {
    const stale = this.isNewerThan(capability);
    if (hasEntries(capability) && !stale) this.updateBackend(capability);
    this.updateCapabilities(capability, service);
    if (!hasEntries(capability) || stale) return;

    // NOTE: an explicit null free capacity is kept (the filter fails such a pool); other
    // missing or null numbers take Cinder's defaults.
    const num = (key: string, fallback: number): number =>
      (capability[key] as number | null | undefined) ?? fallback;
    const flag = (key: string): boolean => Boolean(capability[key] ?? false);
    this.total_capacity_gb = (capability['total_capacity_gb'] as CapacityValue | null) ?? 0;
    this.free_capacity_gb =
      'free_capacity_gb' in capability ? (capability['free_capacity_gb'] as CapacityValue | null) : 0;
    this.allocated_capacity_gb = num('allocated_capacity_gb', 0);
    this.QoS_support = flag('QoS_support');
    this.reserved_percentage = num('reserved_percentage', 0);
    this.provisioned_capacity_gb = num('provisioned_capacity_gb', this.allocated_capacity_gb);
    this.thin_provisioning_support = flag('thin_provisioning_support');
    this.thick_provisioning_support = flag('thick_provisioning_support');
    this.max_over_subscription_ratio = calculateMaxOverSubscriptionRatio(
      capability,
      globalMaxOverSubscriptionRatio,
    );
    this.multiattach = flag('multiattach');
  }

  /**
   * Virtually place a volume here so later picks see less room: allocated and provisioned grow
   * by `size`, free shrinks unless infinite/unknown. A negative size reverts a consumption.
   * `now` (null to keep `updated`) marks the pool newer than the report it came from.
   */
  consumeFromVolume(size: number, now: Date | null = new Date()): void {
    this.allocated_capacity_gb += size;
    this.provisioned_capacity_gb += size;
    if (typeof this.free_capacity_gb === 'number') this.free_capacity_gb -= size;
    if (now !== null) this.updated = now;
  }
}
