/** iSCSI targets (src/volume/targets/). */
import { CinderError, Invalid } from './base.js';

/** Cinder's `ISCSITargetCreateFailed`: the target (or its LUN) of an export could not be made. */
export class ISCSITargetCreateFailed extends CinderError {
  constructor(volumeId: string) {
    super(`Failed to create iscsi target for volume ${volumeId}.`);
  }
}

/** Cinder's `ISCSITargetRemoveFailed`. */
export class ISCSITargetRemoveFailed extends CinderError {
  constructor(volumeId: string) {
    super(`Failed to remove iscsi target for volume ${volumeId}.`);
  }
}

/**
 * Cinder's `InvalidConnectorException`, a 400 here: the manager answers it as an invalid input
 * (`missing` names what the connector lacks, e.g. `initiator`).
 */
export class InvalidConnector extends Invalid {
  constructor(missing: string) {
    super(`Connector doesn't have required information: ${missing}`);
  }
}

/**
 * Cinder's `ISCSITargetHelperCommandFailed`: a `tgtadm` command that failed. `exitCode` is its
 * exit status (tgtadm exits 22 for most refusals), null when it was killed or did not start.
 */
export class ISCSITargetHelperCommandFailed extends CinderError {
  readonly command: string;
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: string, exitCode: number | null, stderr: string, why?: string) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    super(
      `${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${why ?? (last || 'no output')}`,
    );
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** The target daemon (tgtd) is not installed, could not be started or does not answer. */
export class ISCSITargetDaemonUnavailable extends CinderError {
  constructor(reason: string) {
    super(`iSCSI target daemon unavailable: ${reason}`);
  }
}
