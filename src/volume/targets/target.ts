/**
 * The export layer of a volume driver that serves its volumes over iSCSI (Cinder's
 * `cinder/volume/targets/`): a driver keeps the bytes, a target makes them reachable. One
 * implementation drives tgtd (`tgtadm`, src/volume/targets/tgt-target.ts); `fake` keeps exports in
 * memory for tests.
 */

/** The columns of a volume an export needs. */
export interface TargetVolume {
  /** Volume uuid. */
  readonly id: string;
  /** `volume-<id>`. */
  readonly name: string;
  /** Cinder's format `<ip>:<port>[;<ip>:<port>…],<tid> <iqn> <lun>`, or null when not exported. */
  readonly provider_location: string | null;
  /** `CHAP <user> <secret>`, or null. */
  readonly provider_auth: string | null;
  readonly encrypted: boolean;
}

/** What `createExport` answers, for the volume row. */
export interface ExportModel {
  provider_location: string;
  provider_auth: string | null;
}

/** What `initialize_connection` answers. */
export interface ConnectionInfo {
  driver_volume_type: string;
  data: Record<string, unknown>;
}

/** Called after the target daemon lost its exports (restarted): ensureExport every in-use volume. */
export type RestartListener = () => void | Promise<void>;

/** Where a target logs (pino's `info(obj, msg)` fits). */
export interface TargetLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface VolumeTarget {
  /** Starts what the target needs (e.g. its own tgtd) lazily: called before the first export; idempotent. */
  start(): Promise<void>;
  /**
   * Creates the target `<target_prefix><volume.name>` with LUN 1 backed by `path` (CHAP when
   * use_chap_auth). Idempotent: an existing target for this volume is kept/repaired. Returns
   * Cinder's provider_location/provider_auth.
   */
  createExport(volume: TargetVolume, path: string): Promise<ExportModel>;
  /** Re-creates the export from provider_location/provider_auth after a restart of the service or of tgtd (same IQN, same CHAP secret). */
  ensureExport(volume: TargetVolume, path: string): Promise<void>;
  /** Removes the target (force: logged-in sessions are dropped); a missing target is success. */
  removeExport(volume: TargetVolume): Promise<void>;
  /** Cinder's `_get_iscsi_properties` shape, under `driver_volume_type` = target_protocol. */
  initializeConnection(volume: TargetVolume, connector: Record<string, unknown>): ConnectionInfo;
  /** Throws InvalidConnector (400) when the connector has no `initiator`. */
  validateConnector(connector: Record<string, unknown>): void;
  /**
   * After the backing file grew: make the LUN show the new size to new sessions (tgt fixes a LUN's
   * size when it is added: LUN 1 is deleted and re-added; IO disruption as in Cinder). No-op when
   * not exported.
   */
  extendTarget(volume: TargetVolume, path: string): Promise<void>;
  /** Stops a tgtd this module started (leaves no process behind). */
  stop(): Promise<void>;
  /** Registers `listener` for when the target daemon restarted with no exports. */
  onRestart(listener: RestartListener): void;
}
