/**
 * Making a connection on the volume's backend (Cinder's manager `_connection_create`,
 * `initialize_connection` and `_parse_connection_options`): check the connector, export the
 * volume, ask the driver how to reach it, and add what the manager adds to every answer (QoS,
 * access mode, encryption, cacheable, discard).
 */
import {
  DriverNotInitialized,
  ExportFailure,
  InvalidConnector,
  InvalidInput,
  VolumeBackendAPIException,
} from '../../common/errors.js';
import { qosSpecsGet } from '../../db/api/qos-specs.js';
import { volumeAdminMetadataGet, volumeUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { volumeTypeGet } from '../../db/api/volume-types.js';
import type { ActionBackend } from '../actions/manager/backend.js';
import type { ConnectionInfo, Connector, DriverVolume } from '../driver.js';
import { toDriverVolume } from '../driver-volume.js';

/** Front-end QoS keys that may be given per GiB (`<key>_per_gb`, `_per_gb_min`, `_max`). */
const TUNE_OPTS = [
  'read_iops_sec',
  'read_bytes_sec',
  'write_iops_sec',
  'write_bytes_sec',
  'total_iops_sec',
  'total_bytes_sec',
];

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Throws DriverNotInitialized unless the service's driver is up (`require_driver_initialized`). */
export function requireDriverInitialized(b: ActionBackend): void {
  if (!b.initialized()) throw new DriverNotInitialized(b.driver.constructor.name);
}

/** The driver's view of `v`, with its type's extra specs. */
export async function driverVolumeOf(b: ActionBackend, v: VolumeRecord): Promise<DriverVolume> {
  const type = await volumeTypeGet(b.deps.dbh.db, v.volume_type_id, true);
  return toDriverVolume(v, type?.extra_specs ?? {});
}

/**
 * The type's front-end (or both) QoS specs with per-GiB values turned into totals for the
 * volume's size, or null.
 */
async function frontEndQos(
  b: ActionBackend,
  v: VolumeRecord,
): Promise<Record<string, string | number | null> | null> {
  const db = b.deps.dbh.db;
  const type = await volumeTypeGet(db, v.volume_type_id, true);
  if (!type?.qos_specs_id) return null;
  const qos = await qosSpecsGet(db, type.qos_specs_id);
  if (!qos || !['front-end', 'both'].includes(qos.consumer)) return null;
  const specs: Record<string, string | number | null> = { ...qos.specs };
  for (const option of TUNE_OPTS) {
    const perGb = specs[`${option}_per_gb`];
    if (perGb === undefined) continue;
    const min = Number(specs[`${option}_per_gb_min`] ?? 0);
    delete specs[`${option}_per_gb_min`];
    const perGbValue = Math.max(min, Math.trunc(Number(perGb)) * v.size);
    const max = Number(specs[`${option}_max`] ?? perGbValue);
    delete specs[`${option}_max`];
    specs[option] = Math.min(perGbValue, max);
    delete specs[`${option}_per_gb`];
  }
  return specs;
}

/**
 * `_parse_connection_options`: `qos_specs`, `access_mode` (the attachment's `ro`, the volume's
 * `attached_mode`, `ro` for a read-only volume, else `rw`), `encrypted`, `cacheable` and `discard`
 * when the driver did not say.
 */
export async function parseConnectionOptions(
  b: ActionBackend,
  v: VolumeRecord,
  info: ConnectionInfo,
  attachMode: string | null = null,
): Promise<ConnectionInfo> {
  const data = { ...info.data };
  data.qos_specs = await frontEndQos(b, v);
  const admin = await volumeAdminMetadataGet(b.deps.dbh.db, v.id);
  // NOTE: Cinder takes only admin metadata here, so an attachment made with mode `ro` (3.54)
  // still says `rw`; Kindling honours the attachment's mode too.
  data.access_mode =
    attachMode === 'ro' ? 'ro' : (admin.attached_mode ?? (admin.readonly === 'True' ? 'ro' : 'rw'));
  if (data.encrypted === undefined || data.encrypted === null) data.encrypted = v.encryption_key_id !== null;
  const type = await volumeTypeGet(b.deps.dbh.db, v.volume_type_id, true);
  const cacheable = type?.extra_specs.cacheable === '<is> True';
  data.cacheable =
    data.cacheable !== undefined && data.cacheable !== null
      ? Boolean(data.cacheable) && cacheable
      : cacheable;
  if ((data.discard === undefined || data.discard === null) && b.reportDiscardSupported) data.discard = true;
  return { ...info, data };
}

/**
 * The core of `initialize_connection` and `_connection_create`: validate the connector, create
 * the export (storing what the driver answers on the volume), get the driver's connection info
 * (removing the export again if that fails) and add the manager's options.
 */
export async function exportAndConnect(
  b: ActionBackend,
  v: VolumeRecord,
  connector: Connector,
  attachMode: string | null = null,
): Promise<ConnectionInfo> {
  requireDriverInitialized(b);
  const d = b.driver;
  if (!d.initializeConnection)
    throw new VolumeBackendAPIException(`The ${d.constructor.name} driver cannot attach volumes.`);
  try {
    d.validateConnector?.(connector);
  } catch (e) {
    if (e instanceof InvalidConnector) throw new InvalidInput(e.message);
    throw new VolumeBackendAPIException(`Validate volume connection failed (error: ${errText(e)}).`);
  }
  let dv = await driverVolumeOf(b, v);
  let model;
  try {
    model = await d.createExport?.(dv, connector);
  } catch (e) {
    throw new VolumeBackendAPIException(`Create export for volume failed (${errText(e)}).`);
  }
  if (model) {
    try {
      await volumeUpdate(b.deps.dbh.db, v.id, model);
    } catch (e) {
      await d.removeExport?.(dv).catch(() => undefined);
      throw new ExportFailure(errText(e));
    }
    dv = { ...dv, ...model };
    v = { ...v, ...model };
  }
  let info: ConnectionInfo;
  try {
    info = await d.initializeConnection(dv, connector);
  } catch (e) {
    await d.removeExport?.(dv).catch(() => undefined);
    throw new VolumeBackendAPIException(`Driver initialize connection failed (error: ${errText(e)}).`);
  }
  return parseConnectionOptions(b, v, info, attachMode);
}
