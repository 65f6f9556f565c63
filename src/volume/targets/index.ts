/**
 * The iSCSI export layer (Cinder's `cinder/volume/targets/`): `createTarget` picks the helper
 * named by `target_helper`. See docs/iscsi.md.
 */
import { ConfigError } from '../../common/errors.js';
import { TARGET_HELPERS, type TargetOptions } from '../../config/target-options.js';
import { FakeTarget } from './fake-target.js';
import type { TargetLogger, VolumeTarget } from './target.js';
import { TgtAdm } from './tgt-target.js';

export type {
  ConnectionInfo,
  ExportModel,
  RestartListener,
  TargetLogger,
  TargetVolume,
  VolumeTarget,
} from './target.js';
export { FakeTarget } from './fake-target.js';
export { TgtAdm } from './tgt-target.js';
export { resolveTargetOptions, TARGET_OPTIONS, type TargetOptions } from '../../config/target-options.js';

/**
 * The target of `opts.target_helper`: `tgtadm` (tgtd) or `fake` (in memory, tests only). Nothing
 * runs until the first export (or start()).
 * @throws ConfigError for a helper Kindling does not implement, naming the supported ones.
 */
export function createTarget(opts: TargetOptions, log?: TargetLogger): VolumeTarget {
  const helper: string = opts.target_helper;
  switch (helper) {
    case 'tgtadm':
      return new TgtAdm(opts, log);
    case 'fake':
      return new FakeTarget(opts);
    default:
      throw new ConfigError(
        `target_helper '${helper}' is not supported by Kindling (supported: ${TARGET_HELPERS.join(', ')})`,
      );
  }
}
