/**
 * The first task of the api side of create-volume (Cinder's `volume/flows/api/create_volume.py`,
 * `ExtractVolumeRequestTask`), with the request it reads: complete and check the request before
 * anything is reserved or written. create-volume.ts runs it first.
 */
import { Task } from '../../../flow/index.js';
import type { RequestContext } from '../../../common/context.js';
import type { CoreDeps } from '../../../common/deps.js';
import {
  InvalidAvailabilityZone,
  InvalidBackup,
  InvalidInput,
  InvalidSnapshot,
  InvalidVolume,
  BadRequest,
} from '../../../common/errors.js';
import { isIntLike, pythonStr } from '../../../common/strutils.js';
import type { SnapshotsTable } from '../../../db/schema.js';
import { volumeTypeGet, type VolumeTypeRecord } from '../../../db/api/volume-types.js';
import { volumeGet, type VolumeRecord } from '../../../db/api/volumes.js';
import type { AvailabilityZones } from '../../availability-zones.js';
import {
  createEncryptionKey,
  getDefaultVolumeType,
  getVolumeTypeByNameOrId,
  qosSpecsOfType,
} from '../../volume-types.js';
import { checkImageMetadata } from '../../../image/image-utils.js';
import type { GlanceImageService, ImageMeta } from '../../../image/index.js';

/** The part of the image service the api flow uses. */
export type ImageShow = Pick<GlanceImageService, 'showMeta'>;

/** What the controller hands the flow (already looked up and validated as far as the API goes). */
export type CreateVolumeRequest = {
  context: RequestContext;
  size: number | string | null;
  name: string | null;
  description: string | null;
  volume_type: VolumeTypeRecord | null;
  metadata: Record<string, string>;
  availability_zone: string | null;
  snapshot: SnapshotsTable | null;
  source_volume: VolumeRecord | null;
  image_id: string | null;
  backup: { id: string; status: string; size: number } | null;
  group_id: string | null;
  scheduler_hints: Record<string, unknown> | null;
  /** The group the volume joins: it is placed on the group's backend (src/group/). */
  group?: {
    host: string | null;
    cluster_name: string | null;
    status?: string;
    volume_type_ids?: readonly string[];
  } | null;
  /** Only write the row: the group's backend creates the volume (create a group from a source). */
  defer_cast?: boolean;
};

// ---- 1. ExtractVolumeRequestTask ----------------------------------------------------------------

type ExtractInputs = Pick<
  CreateVolumeRequest,
  | 'context'
  | 'size'
  | 'volume_type'
  | 'availability_zone'
  | 'snapshot'
  | 'source_volume'
  | 'image_id'
  | 'backup'
>;

export type ExtractedRequest = {
  size: number;
  volume_type: VolumeTypeRecord;
  volume_type_id: string;
  availability_zones: string[];
  multiattach: boolean;
  replication_status: string;
  qos_specs: Record<string, string> | null;
  encryption_key_id: string | null;
  snapshot_id: string | null;
  source_volid: string | null;
  backup_id: string | null;
};

/**
 * Completes and checks the request: one source at most, source statuses, size (defaults from the
 * source; never smaller than it), the volume type (explicit → source's → default), the
 * availability zone, multiattach and replication from the type.
 * Revert: nothing to undo.
 */
export class ExtractVolumeRequestTask extends Task<ExtractInputs, ExtractedRequest> {
  constructor(
    private readonly deps: CoreDeps,
    private readonly azs: AvailabilityZones,
    private readonly images: ImageShow | null = null,
  ) {
    super({
      requires: [
        'context',
        'size',
        'volume_type',
        'availability_zone',
        'snapshot',
        'source_volume',
        'image_id',
        'backup',
      ],
      provides: [
        'size',
        'volume_type',
        'volume_type_id',
        'availability_zones',
        'multiattach',
        'replication_status',
        'qos_specs',
        'encryption_key_id',
        'snapshot_id',
        'source_volid',
        'backup_id',
      ],
    });
  }

  async execute(i: ExtractInputs): Promise<ExtractedRequest> {
    const sources = [i.snapshot, i.image_id, i.source_volume, i.backup].filter(
      (s) => s !== null && s !== undefined,
    );
    if (sources.length > 1)
      throw new InvalidInput('May specify only one of backup, imageRef, snapshot, source volume');
    if (i.snapshot && i.snapshot.status !== 'available')
      throw new InvalidSnapshot("Originating snapshot status must be one of 'available' values");
    if (i.source_volume && !['available', 'in-use'].includes(i.source_volume.status))
      throw new InvalidVolume("Originating source volume status must be one of 'available, in-use' values");
    if (i.backup && i.backup.status !== 'available')
      throw new InvalidBackup("Originating backup status must be one of 'available' values");

    const size = this.#extractSize(i);
    const db = this.deps.dbh.db;
    const imageMeta = i.image_id ? await this.#imageMetadata(i.context, i.image_id, size) : null;
    let type = i.volume_type;
    // Cinder's `cinder_img_volume_type`: an image may name the type of the volumes made from it;
    // a type the caller cannot find is VolumeTypeNotFound(ByName), a 404, as in Cinder.
    const imageType = imageMeta?.properties.cinder_img_volume_type;
    if (!type && typeof imageType === 'string')
      type = await getVolumeTypeByNameOrId(db, i.context, imageType);
    if (!type && i.source_volume) type = await this.#typeById(i.source_volume.volume_type_id);
    if (!type && i.snapshot?.volume_type_id) type = await this.#typeById(i.snapshot.volume_type_id);
    type ??= await getDefaultVolumeType(db, i.context, this.deps.config.DEFAULT.default_volume_type);

    const availability_zones = await this.#extractAvailabilityZones(i, type);
    const encryption_key_id = await createEncryptionKey(db, type.id);
    const qos = await qosSpecsOfType(db, type);
    const multiattach = /^<is>\s*true$/i.test((type.extra_specs.multiattach ?? '').trim());
    const replication_status = /^<is>\s*true$/i.test((type.extra_specs.replication_enabled ?? '').trim())
      ? 'enabled'
      : 'disabled';
    return {
      size,
      volume_type: type,
      volume_type_id: type.id,
      availability_zones,
      multiattach,
      replication_status,
      qos_specs: Object.keys(qos).length ? (qos as Record<string, string>) : null,
      encryption_key_id,
      snapshot_id: i.snapshot?.id ?? null,
      source_volid: i.source_volume?.id ?? null,
      backup_id: i.backup?.id ?? null,
    };
  }

  /** `_get_image_metadata`: the image exists for the caller, is active and fits the volume. */
  async #imageMetadata(ctx: RequestContext, imageId: string, size: number): Promise<ImageMeta> {
    if (!this.images) throw new BadRequest('Invalid image identifier or unable to access requested image.');
    const meta = await this.images.showMeta(ctx, imageId);
    checkImageMetadata(meta, size);
    return meta;
  }

  async #typeById(id: string): Promise<VolumeTypeRecord | null> {
    return volumeTypeGet(this.deps.dbh.db, id);
  }

  #extractSize(i: ExtractInputs): number {
    let size: unknown = i.size;
    if (size === null || size === undefined) {
      size = i.snapshot?.volume_size ?? i.source_volume?.size ?? i.backup?.size ?? null;
    }
    if (!isIntLike(size) || Number(size) <= 0)
      throw new InvalidInput(`Volume size '${pythonStr(size)}' must be an integer and greater than 0`);
    const n = Number(size);
    if (i.source_volume && n < i.source_volume.size)
      throw new InvalidInput(
        `Volume size '${n}'GB cannot be smaller than original volume size  ${i.source_volume.size}GB. They must be >= original volume size.`,
      );
    if (i.snapshot && n < i.snapshot.volume_size)
      throw new InvalidInput(
        `Volume size '${n}'GB cannot be smaller than the snapshot size ${i.snapshot.volume_size}GB. They must be >= original snapshot size.`,
      );
    if (i.backup && n < i.backup.size)
      throw new InvalidInput(
        `Volume size ${n}GB cannot be smaller than the backup size ${i.backup.size}GB. It must be >= backup size.`,
      );
    return n;
  }

  /** Cinder's `ExtractVolumeRequestTask._extract_availability_zones`. */
  async #extractAvailabilityZones(i: ExtractInputs, type: VolumeTypeRecord): Promise<string[]> {
    const cfg = this.deps.config.DEFAULT;
    const known = async (refresh: boolean) => {
      const names = new Set((await this.azs.list(refresh)).map((z) => z.name));
      names.add(cfg.storage_availability_zone);
      return names;
    };
    let allowed = await known(false);
    const restriction = type.extra_specs['RESKEY:availability_zones'];
    let typeAzs: string[] | null = null;
    if (restriction) {
      typeAzs = restriction
        .split(',')
        .map((s) => s.trim())
        .filter((s) => allowed.has(s));
      if (typeAzs.length === 0)
        throw new BadRequest(`Volume type is only supported in these availability zones: ${restriction}`);
    }
    let az = i.availability_zone;
    if (!az && i.snapshot)
      az = (await volumeGet(this.deps.dbh.db, i.snapshot.volume_id))?.availability_zone ?? null;
    if (!az && i.source_volume) az = i.source_volume.availability_zone;
    if (!az && !typeAzs) az = cfg.default_availability_zone ?? cfg.storage_availability_zone;
    if (az && !allowed.has(az)) {
      allowed = await known(true);
      if (!allowed.has(az)) {
        if (cfg.allow_availability_zone_fallback)
          az = cfg.default_availability_zone ?? cfg.storage_availability_zone;
        else throw new InvalidAvailabilityZone(az);
      }
    }
    if (az && typeAzs && !typeAzs.includes(az))
      throw new BadRequest(`Volume type is only supported in these availability zones: ${restriction}`);
    if (cfg.cloned_volume_same_az && az) {
      if (i.source_volume && i.source_volume.availability_zone !== az)
        throw new InvalidInput('Volume must be in the same availability zone as the source volume');
    }
    return az ? [az] : (typeAzs ?? []);
  }
}
