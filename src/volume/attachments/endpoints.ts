/**
 * The attach RPC methods of a volume service (Cinder's `attachment_update`, `attachment_delete`,
 * `initialize_connection`, `terminate_connection`, `attach_volume`, `detach_volume`,
 * `remove_export`), all calls. Work on one volume's attachments is serialized by its
 * `<id>-attach` lock (not the `-volume_op` lock, which long copies hold).
 */
import { operationLockName } from '../../coordination/index.js';
import type { RpcHandlers } from '../../rpc/methods.js';
import type { ActionBackend } from '../actions/manager/backend.js';
import type { Connector } from '../driver.js';
import type { VolumeRpcMethods } from '../rpcapi.js';
import { attachmentDeleteOnBackend, attachmentUpdateOnBackend } from './manager.js';
import {
  attachVolumeOnBackend,
  detachVolumeOnBackend,
  initializeConnectionOnBackend,
  removeExportOnBackend,
  terminateConnectionOnBackend,
} from './manager-legacy.js';

function locked<T>(b: ActionBackend, volumeId: unknown, fn: () => Promise<T>): Promise<T> {
  return b.deps.coordinator.withLock(operationLockName(String(volumeId), 'attach'), fn);
}

/** The endpoint entries of the attach calls for the service `b`. */
export function attachmentEndpoints(
  b: ActionBackend,
): RpcHandlers<
  VolumeRpcMethods,
  | 'attachment_update'
  | 'attachment_delete'
  | 'initialize_connection'
  | 'terminate_connection'
  | 'attach_volume'
  | 'detach_volume'
  | 'remove_export'
> {
  return {
    attachment_update: (ctx, a) =>
      locked(b, a.volume_id, () =>
        attachmentUpdateOnBackend(b, ctx, {
          volume_id: a.volume_id,
          connector: a.connector,
          attachment_id: a.attachment_id,
        }),
      ),
    attachment_delete: (ctx, a) =>
      locked(b, a.volume_id, () =>
        attachmentDeleteOnBackend(b, ctx, {
          attachment_id: a.attachment_id,
          volume_id: a.volume_id,
        }),
      ),
    initialize_connection: (ctx, a) =>
      locked(b, a.volume_id, () =>
        initializeConnectionOnBackend(b, ctx, {
          volume_id: a.volume_id,
          connector: a.connector,
        }),
      ),
    terminate_connection: (ctx, a) =>
      locked(b, a.volume_id, () =>
        terminateConnectionOnBackend(b, ctx, {
          volume_id: a.volume_id,
          // NOTE: the connector is the API caller's, passed on unchecked; the driver takes it as is.
          connector: (a.connector ?? null) as Connector | null,
          force: a.force === true,
        }),
      ),
    attach_volume: (ctx, a) => locked(b, a.volume_id, () => attachVolumeOnBackend(b, ctx, a)),
    detach_volume: (ctx, a) =>
      locked(b, a.volume_id, () =>
        detachVolumeOnBackend(b, ctx, {
          volume_id: a.volume_id,
          attachment_id: a.attachment_id ?? null,
        }),
      ),
    remove_export: (ctx, a) =>
      locked(b, a.volume_id, () => removeExportOnBackend(b, ctx, { volume_id: a.volume_id })),
  };
}
