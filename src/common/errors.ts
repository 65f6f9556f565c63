/**
 * The error registry: every error Kindling raises on purpose, with its HTTP status and message
 * template, in the spirit of Cinder's `exception.py`. The API maps them to fault bodies in one
 * place (`src/api/fault.ts`); nothing else needs to know HTTP statuses.
 */

/** Base class: `code` is the HTTP status, `safe` means the message may be shown to the user. */
export class CinderError extends Error {
  /** HTTP status the API answers with. */
  readonly code: number = 500;
  /** Whether the message is shown to users (unsafe errors become a generic 500 text). */
  readonly safe: boolean = true;
  /** Quota errors are shown with their class name prefixed, as Cinder's fault middleware does. */
  readonly prefixClassName: boolean = false;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

// ---- 400 family --------------------------------------------------------------------------------

export class Invalid extends CinderError {
  override readonly code: number = 400;
}

/** `Invalid input received: <reason>` */
export class InvalidInput extends Invalid {
  constructor(reason: string) {
    super(`Invalid input received: ${reason}`);
  }
}

/** A body that failed schema validation: the message is the whole Cinder detail. */
export class ValidationError extends Invalid {}

/** Plain 400 with a message used verbatim (Cinder's `webob.exc.HTTPBadRequest(explanation=…)`). */
export class BadRequest extends Invalid {}

export class InvalidVolume extends Invalid {
  constructor(reason: string) {
    super(`Invalid volume: ${reason}`);
  }
}

export class InvalidSnapshot extends Invalid {
  constructor(reason: string) {
    super(`Invalid snapshot: ${reason}`);
  }
}

export class InvalidBackup extends Invalid {
  constructor(reason: string) {
    super(`Invalid backup: ${reason}`);
  }
}

export class InvalidVolumeType extends Invalid {
  constructor(reason: string) {
    super(`Invalid volume type: ${reason}`);
  }
}

export class InvalidVolumeMetadata extends Invalid {
  constructor(reason: string) {
    super(`Invalid metadata: ${reason}`);
  }
}

export class InvalidVolumeMetadataSize extends Invalid {
  constructor(reason: string) {
    super(`Invalid metadata size: ${reason}`);
  }
}

export class InvalidAvailabilityZone extends Invalid {
  constructor(az: string) {
    super(`Availability zone '${az}' is invalid.`);
  }
}

export class InvalidQuotaValue extends Invalid {
  constructor(reason: string) {
    super(`Change would make usage less than 0 for the following resources: ${reason}`);
  }
}

export class InvalidStatus extends Invalid {}

/** `Invalid host: <reason>` (a migration target that is no usable volume service). */
export class InvalidHost extends Invalid {
  constructor(reason: string) {
    super(`Invalid host: ${reason}`);
  }
}

/** API version string that does not parse (`3.07`, `3`). */
export class InvalidAPIVersionString extends Invalid {
  constructor(version: string) {
    super(`API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
}

// ---- 403 -----------------------------------------------------------------------------------------

export class NotAuthorized extends CinderError {
  override readonly code: number = 403;
}

export class PolicyNotAuthorized extends NotAuthorized {
  constructor(action: string) {
    super(`Policy doesn't allow ${action} to be performed.`);
  }
}

// ---- 404 family ----------------------------------------------------------------------------------

export class NotFound extends CinderError {
  override readonly code: number = 404;
}

export class VolumeNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume ${id} could not be found.`);
  }
}

export class VolumeMetadataNotFound extends NotFound {
  constructor(volumeId: string, key: string) {
    super(`Volume ${volumeId} has no metadata with key ${key}.`);
  }
}

export class SnapshotNotFound extends NotFound {
  constructor(id: string) {
    super(`Snapshot ${id} could not be found.`);
  }
}

export class SnapshotMetadataNotFound extends NotFound {
  constructor(snapshotId: string, key: string) {
    super(`Snapshot ${snapshotId} has no metadata with key ${key}.`);
  }
}

export class BackupNotFound extends NotFound {
  constructor(id: string) {
    super(`Backup ${id} could not be found.`);
  }
}

export class GroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Group ${id} could not be found.`);
  }
}

export class ConsistencyGroupNotFound extends NotFound {
  constructor(id: string) {
    super(`ConsistencyGroup ${id} could not be found.`);
  }
}

export class VolumeTypeNotFound extends NotFound {
  constructor(id: string) {
    super(`Volume type ${id} could not be found.`);
  }
}

export class VolumeTypeNotFoundByName extends NotFound {
  constructor(name: string) {
    super(`Volume type with name ${name} could not be found.`);
  }
}

export class VolumeTypeExtraSpecsNotFound extends NotFound {
  constructor(typeId: string, key: string) {
    super(`Volume Type ${typeId} has no extra specs with key ${key}.`);
  }
}

export class MessageNotFound extends NotFound {
  constructor(id: string) {
    super(`Message ${id} could not be found.`);
  }
}

export class ServiceNotFound extends NotFound {
  constructor(id: string) {
    super(`Service ${id} could not be found.`);
  }
}

export class ProjectQuotaNotFound extends NotFound {
  constructor(projectId: string) {
    super(`Quota for project ${projectId} could not be found.`);
  }
}

/** Route exists but not at this microversion, or no such route: Cinder answers a bare 404. */
export class ItemNotFound extends NotFound {
  constructor(message = 'The resource could not be found.') {
    super(message);
  }
}

// ---- 406 / 409 / 413 / 415 / 500 -----------------------------------------------------------------

export class VersionNotSupported extends CinderError {
  override readonly code: number = 406;
  constructor(version: string, min: string, max: string) {
    super(`Version ${version} is not supported by the API. Minimum is ${min} and maximum is ${max}.`);
  }
}

export class Conflict extends CinderError {
  override readonly code: number = 409;
}

export class VolumeTypeExists extends Conflict {
  constructor(id: string) {
    super(`Volume Type ${id} already exists.`);
  }
}

/** Quota errors: 413 `overLimit`, shown as `<ClassName>: <text>`. */
export class QuotaError extends CinderError {
  override readonly code: number = 413;
  override readonly prefixClassName: boolean = true;
}

export class VolumeSizeExceedsAvailableQuota extends QuotaError {
  constructor(name: string, requested: number, quota: number, consumed: number) {
    super(
      `Requested volume or snapshot exceeds allowed ${name} quota. Requested ${requested}G, quota is ${quota}G and ${consumed}G has been consumed.`,
    );
  }
}

export class VolumeSizeExceedsLimit extends QuotaError {
  constructor(size: number, limit: number) {
    super(`Requested volume size ${size}G is larger than maximum allowed limit ${limit}G.`);
  }
}

export class VolumeLimitExceeded extends QuotaError {
  constructor(allowed: number, name: string) {
    super(`Maximum number of volumes allowed (${allowed}) exceeded for quota '${name}'.`);
  }
}

export class SnapshotLimitExceeded extends QuotaError {
  constructor(allowed: number, name = 'snapshots') {
    // NOTE: Cinder's text names no quota (its `name` argument is unused).
    super(`Maximum number of snapshots allowed (${allowed}) exceeded`);
    void name;
  }
}

export class UnexpectedOverQuota extends QuotaError {
  constructor(names: string) {
    super(`Unexpected over quota on ${names}.`);
  }
}

export class UnsupportedMediaType extends CinderError {
  override readonly code: number = 415;
  constructor() {
    super('Unsupported Content-Type');
  }
}

/** Default volume type missing: Cinder answers 500 with this (safe) text. */
export class VolumeTypeDefaultMisconfiguredError extends CinderError {
  override readonly code: number = 500;
  constructor(name: string) {
    super(`The request cannot be fulfilled as the default volume type ${name} cannot be found.`);
  }
}

// ---- internal errors (not user-facing as such) --------------------------------------------------

/** The scheduler found nowhere to put a resource. */
export class NoValidBackend extends CinderError {
  override readonly code: number = 500;
  constructor(reason: string) {
    super(`No valid backend was found. ${reason}`);
  }
}

/** A driver was used before `doSetup`/`checkForSetupError` succeeded. */
export class DriverNotInitialized extends CinderError {
  override readonly code: number = 500;
  constructor(driver = 'Volume driver') {
    super(`${driver} not ready.`);
  }
}

/** A backend operation failed. */
export class VolumeBackendAPIException extends CinderError {
  override readonly code: number = 500;
  constructor(data: string) {
    super(`Bad or unexpected response from the storage volume backend API: ${data}`);
  }
}

/** Something broke that the user did not cause; answered as a generic 500. */
export class InternalError extends CinderError {
  override readonly safe: boolean = false;
}

// ---- added for config, flow engine and strutils --------------------------------------------------

/** A configuration file or environment override that cannot be used (bad syntax or bad value). */
export class ConfigError extends InternalError {}

/** A flow task needs a value that is neither in the engine's store nor provided by an earlier task. */
export class MissingInputError extends InternalError {}

/**
 * `boolFromString(v, strict=true)` got something that is not a boolean word (oslo raises
 * `ValueError` with this text; callers usually re-raise it as `InvalidInput`).
 */
export class UnrecognizedBoolValue extends Invalid {}

// ---- scheduler ---------------------------------------------------------------------------------

/** `scheduler_default_filters` names a filter that does not exist (start-up error). */
export class SchedulerHostFilterNotFound extends NotFound {
  constructor(filterName: string) {
    super(`Scheduler Host Filter ${filterName} could not be found.`);
  }
}

/** `scheduler_default_weighers` names a weigher that does not exist (start-up error). */
export class SchedulerHostWeigherNotFound extends NotFound {
  constructor(weigherName: string) {
    super(`Scheduler Host Weigher ${weigherName} could not be found.`);
  }
}

/** A configuration or parameter value out of range; the message is used as is. */
export class InvalidParameterValue extends Invalid {}

// ---- added for os-services -----------------------------------------------------------------------

/** No service of that binary on a host (Cinder's `ServiceNotFound` with a host). */
export class ServiceNotFoundOnHost extends NotFound {
  constructor(serviceId: string, host: string) {
    super(`Service ${serviceId} could not be found on host ${host}.`);
  }
}

/** A Cinder API that Kindling does not provide yet: 501 `notImplemented`. */
export class NotImplementedYet extends CinderError {
  override readonly code: number = 501;
}

// ---- added for the RabbitMQ transport --------------------------------------------------------------

/** A message could not be put on the broker in time (oslo.messaging's `MessageDeliveryFailure`). */
export class MessageDeliveryFailure extends InternalError {}

// ---- added for coordination ----------------------------------------------------------------------

/**
 * A coordination lock (`<resource id>-<operation>`) was not acquired in time: busy on a non-blocking
 * try (`timeoutSeconds` 0) or still held when the timeout ran out.
 */
export class LockAcquireTimeout extends InternalError {
  /** The lock that was not acquired. */
  readonly lockName: string;
  /** How long the caller was willing to wait, in seconds (0 = did not wait). */
  readonly timeoutSeconds: number;

  constructor(lockName: string, timeoutSeconds: number) {
    super(`Could not acquire lock ${lockName} within ${timeoutSeconds} seconds.`);
    this.lockName = lockName;
    this.timeoutSeconds = timeoutSeconds;
  }
}

// ---- added for volume transfers ------------------------------------------------------------------

export class TransferNotFound extends NotFound {
  constructor(id: string) {
    super(`Transfer ${id} could not be found.`);
  }
}

export class InvalidAuthKey extends Invalid {
  constructor(reason: string) {
    super(`Invalid auth key: ${reason}`);
  }
}

// ---- added for volume type access, default types, QoS specs and type encryption ------------------

export class VolumeTypeAccessNotFound extends NotFound {
  constructor(typeId: string, projectId: string) {
    super(`Volume type access not found for ${typeId} / ${projectId} combination.`);
  }
}

export class VolumeTypeAccessExists extends Conflict {
  constructor(typeId: string, projectId: string) {
    super(`Volume type access for ${typeId} / ${projectId} combination already exists.`);
  }
}

export class VolumeTypeProjectDefaultNotFound extends NotFound {
  constructor(projectId: string) {
    super(`Default type for project ${projectId} not found.`);
  }
}

export class QoSSpecsNotFound extends NotFound {
  constructor(id: string) {
    super(`No such QoS spec ${id}.`);
  }
}

export class QoSSpecsKeyNotFound extends NotFound {
  constructor(id: string, key: string) {
    super(`QoS spec ${id} has no spec with key ${key}.`);
  }
}

export class QoSSpecsExists extends Conflict {
  constructor(name: string) {
    super(`QoS Specs ${name} already exists.`);
  }
}

export class InvalidQoSSpecs extends Invalid {
  constructor(reason: string) {
    super(`Invalid qos specs: ${reason}`);
  }
}

export class VolumeTypeEncryptionExists extends Invalid {
  constructor(typeId: string) {
    super(`Volume type encryption for type ${typeId} already exists.`);
  }
}

export class VolumeTypeEncryptionNotFound extends NotFound {
  constructor(typeId: string) {
    super(`Volume type encryption for type ${typeId} does not exist.`);
  }
}

// ---- added for the RBD driver --------------------------------------------------------------------

/** Cinder's `SnapshotIsBusy`: the snapshot has dependent volumes (clones); it stays `available`. */
export class SnapshotIsBusy extends CinderError {
  constructor(snapshotName: string) {
    super(`deleting snapshot ${snapshotName} that has dependent volumes`);
  }
}

/** Cinder's `VolumeIsBusy`: the backing object cannot be removed now (in use); retry later. */
export class VolumeIsBusy extends CinderError {
  readonly volumeName: string;
  constructor(volumeName: string, message = `deleting volume ${volumeName} that has snapshot`) {
    super(message);
    this.volumeName = volumeName;
  }
}

/**
 * An `rbd` or `ceph` command that failed. `errno` is its exit status (the CLIs exit with the
 * errno of the failed librados/librbd call), null when it was killed or did not start.
 */
export class RbdCommandError extends VolumeBackendAPIException {
  readonly command: string;
  readonly errno: number | null;
  readonly stderr: string;
  constructor(command: string, errno: number | null, stderr: string, why?: string) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    super(`${command} failed${errno === null ? '' : ` (exit ${errno})`}: ${why ?? (last || 'no output')}`);
    this.command = command;
    this.errno = errno;
    this.stderr = stderr;
  }
}

/** ENOENT: the image (or snapshot) does not exist. */
export class RbdImageNotFound extends RbdCommandError {}
/** EEXIST: an image or snapshot of that name exists already. */
export class RbdImageExists extends RbdCommandError {}
/** EBUSY: the image has watchers or the snapshot has clone children. */
export class RbdImageBusy extends RbdCommandError {}
/** ENOTEMPTY: the image still has snapshots. */
export class RbdImageHasSnapshots extends RbdCommandError {}
/** EINVAL: an argument the cluster refused (e.g. shrinking without --allow-shrink). */
export class RbdInvalidArgument extends RbdCommandError {}
/** ENOSPC / EDQUOT: the cluster or the pool's quota is full. */
export class RbdNoSpace extends RbdCommandError {}
/** EACCES / EPERM: the cephx user may not do this (or its key is wrong). */
export class RbdPermissionDenied extends RbdCommandError {}
/** The cluster did not answer in time (ETIMEDOUT, no monitor reachable, or the command was killed). */
export class CephUnreachable extends RbdCommandError {}

// ---- added for capabilities and groups (Tempest conformance) -------------------------------------

/** A volume service did not answer `get_capabilities` in time (Cinder's `RPCTimeout`, 502). */
export class RPCTimeout extends CinderError {
  override readonly code: number = 502;
  constructor(service: string) {
    super(`Timeout while requesting capabilities from backend ${service}.`);
  }
}

export class GroupTypeNotFound extends NotFound {
  constructor(id: string) {
    super(`Group type ${id} could not be found.`);
  }
}

export class GroupTypeNotFoundByName extends NotFound {
  constructor(name: string) {
    super(`Group type with name ${name} could not be found.`);
  }
}

export class GroupTypeSpecsNotFound extends NotFound {
  constructor(typeId: string, key: string) {
    super(`Group Type ${typeId} has no specs with key ${key}.`);
  }
}

export class GroupTypeExists extends Conflict {
  constructor(id: string) {
    super(`Group Type ${id} already exists.`);
  }
}

export class GroupSnapshotNotFound extends NotFound {
  constructor(id: string) {
    super(`GroupSnapshot ${id} could not be found.`);
  }
}

export class InvalidGroup extends Invalid {
  constructor(reason: string) {
    super(`Invalid Group: ${reason}`);
  }
}

export class InvalidGroupType extends Invalid {
  constructor(reason: string) {
    super(`Invalid group type: ${reason}`);
  }
}

export class InvalidGroupSnapshot extends Invalid {
  constructor(reason: string) {
    super(`Invalid GroupSnapshot: ${reason}`);
  }
}

export class GroupLimitExceeded extends QuotaError {
  constructor(allowed: number) {
    super(`Maximum number of groups allowed (${allowed}) exceeded`);
  }
}

export class InvalidGroupStatus extends Invalid {
  constructor(reason: string) {
    super(`Invalid Group Status: ${reason}`);
  }
}

export class InvalidGroupSnapshotStatus extends Invalid {
  constructor(reason: string) {
    super(`Invalid GroupSnapshot Status: ${reason}`);
  }
}
