/**
 * What BackendState and PoolState share: identity (`host`, `cluster_name`, `backend_id`), the
 * last capability dict and service row, and the backend-level identity info every report
 * carries (Cinder's `BackendState.update_backend`).
 */
import type { VolumeServiceInfo } from './types.js';
import { storageProtocolVariants } from './storage-protocol.js';

/** A capability dict as stored by the HostManager: the report plus its `timestamp` (a Date). */
export type CapabilityDict = Record<string, unknown>;

/** The `timestamp` of a stored capability dict, or null. */
export function timestampOf(capability: CapabilityDict): Date | null {
  const ts = capability['timestamp'];
  if (ts instanceof Date) return ts;
  if (typeof ts === 'string' || typeof ts === 'number') {
    const d = new Date(ts);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/** Python truthiness of a capability dict (`if capability:`): empty dicts are falsy. */
export function hasEntries(capability: CapabilityDict | null | undefined): capability is CapabilityDict {
  return capability !== null && capability !== undefined && Object.keys(capability).length > 0;
}

/** Shared state of a backend (`host@backend`) or one of its pools (`host@backend#pool`). */
export abstract class StateBase {
  /** `host@backend` for a backend, `host@backend#pool` for a pool. */
  readonly host: string;
  /** Cluster name (with `#pool` for a pool) or null. */
  readonly cluster_name: string | null;
  /** Latest capability dict received (read-only view). */
  capabilities: Readonly<CapabilityDict> = Object.freeze({});
  /** The service row the state was last refreshed with. */
  service: Readonly<VolumeServiceInfo> | null = null;
  volume_backend_name: string | null = null;
  vendor_name: string | null = null;
  driver_version: string | null = null;
  /** Reported protocol, replaced by its variant list when it has variants. */
  storage_protocol: unknown = null;
  /** Timestamp of the last applied report, or of the last virtual consumption. */
  updated: Date | null = null;

  protected constructor(host: string, clusterName: string | null) {
    this.host = host;
    this.cluster_name = clusterName;
  }

  /** Cinder's `backend_id`: the cluster name when clustered, else the host. */
  get backend_id(): string {
    return this.cluster_name ?? this.host;
  }

  /** Availability zone of the service behind this state (null before the first refresh). */
  get availability_zone(): string | null {
    return this.service?.availability_zone ?? null;
  }

  /** Replace the capability dict and service row (always, even for stale reports). */
  protected updateCapabilities(capability: CapabilityDict, service: VolumeServiceInfo | null): void {
    this.capabilities = Object.freeze({ ...capability });
    this.service = service ? Object.freeze({ ...service }) : null;
  }

  /** True when this state was touched after the report was taken (the report is stale). */
  protected isNewerThan(capability: CapabilityDict): boolean {
    const ts = timestampOf(capability);
    return this.updated !== null && ts !== null && this.updated > ts;
  }

  /**
   * Backend-level identity from a report. Expands `storage_protocol` in `capability` itself
   * (which the caller owns), so pools and filters see the variant list.
   */
  protected updateBackend(capability: CapabilityDict): void {
    this.volume_backend_name = (capability['volume_backend_name'] as string | undefined) ?? null;
    this.vendor_name = (capability['vendor_name'] as string | undefined) ?? null;
    this.driver_version = (capability['driver_version'] as string | undefined) ?? null;
    this.storage_protocol = storageProtocolVariants(capability['storage_protocol'] ?? null);
    if ('storage_protocol' in capability) capability['storage_protocol'] = this.storage_protocol;
    this.updated = timestampOf(capability);
  }
}
