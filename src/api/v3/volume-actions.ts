/**
 * `POST /volumes/{id}/action` (Cinder's `VolumeActionsController`, `VolumeAdminController` and the
 * v3 `revert`): one dispatcher that reads the action from the body's only key, as Cinder's
 * `action_peek`, validates the body with the action's schema, loads the volume and calls the
 * action's API-side function in `src/volume/actions/`.
 */
import { VolumeManageAPI } from '../../volume/manage-api.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import {
  BadRequest,
  InvalidInput,
  ItemNotFound,
  NotImplementedYet,
  ServerErrorExplained,
  VolumeBackendAPIException,
} from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { VolumeRecord } from '../../db/api/volumes.js';
import type { APIVersion } from '../microversion.js';
import * as schemas from '../schemas/volume-actions.js';
import * as imageMetadataSchemas from '../schemas/volume-image-metadata.js';
import { isObject, pyTruthy, type JsonObject } from '../validation/python-values.js';
import { VolumeRPCAPI } from '../../volume/rpcapi.js';
import type { ActionDeps } from '../../volume/actions/common.js';
import { extendVolume } from '../../volume/actions/extend.js';
import { forceDelete } from '../../volume/actions/force-delete.js';
import { migrateVolume } from '../../volume/actions/migrate.js';
import { migrateVolumeCompletion } from '../../volume/actions/migrate-completion.js';
import { resetStatus } from '../../volume/actions/reset-status.js';
import { retypeVolume, type MigrationPolicy } from '../../volume/actions/retype.js';
import { revertToSnapshot } from '../../volume/actions/revert.js';
import { reserveVolume, unreserveVolume } from '../../volume/actions/reserve.js';
import { setBootable } from '../../volume/actions/set-bootable.js';
import { updateReadonlyFlag } from '../../volume/actions/update-readonly-flag.js';
import { uploadToImage } from '../../volume/actions/upload-to-image.js';
import { reimageVolume } from '../../volume/actions/reimage.js';
import {
  setImageMetadata,
  showImageMetadata,
  unsetImageMetadata,
} from '../../volume/actions/image-metadata.js';
import { noSuchAction } from './actions.js';
import type { Connector } from '../../volume/driver.js';
import {
  attachVolume,
  beginDetaching,
  detachVolume,
  forceDetach,
  initializeConnection,
  rollDetaching,
  terminateConnection,
} from '../../volume/attachments/api-legacy.js';

/** One request to an action. */
interface ActionCall {
  readonly req: FastifyRequest;
  readonly version: APIVersion;
  /** The body, an object with one key (the action); each handler validates it with its schema. */
  readonly body: JsonObject;
  /** The volume of the URL, as the caller may see it (404 otherwise). */
  volume(): Promise<VolumeRecord>;
}

interface ActionHandler {
  /** First microversion with the action (a bare 404 below it). */
  readonly since?: string;
  /** Success status: 202 for most, 200 for `os-set_bootable` and the completion. */
  readonly status?: 200 | 202;
  run(d: ActionDeps, c: ActionCall): Promise<unknown>;
}

/**
 * The connector of `os-initialize_connection` (an object, or a string the schema lets through):
 * a string has none of a connector's keys, so the driver's check refuses it.
 */
function connectorOf(value: unknown): Connector {
  return isObject(value) ? value : {};
}

/** Cinder's `strutils.bool_from_string(v, strict=True)` on a value the schema already allowed. */
const bool = (v: unknown) => boolFromString(v, true);

const HANDLERS: Readonly<Record<string, ActionHandler>> = {
  'os-extend': {
    async run(d, c) {
      const a = schemas.validateExtend(c.body)['os-extend'];
      const v = await c.volume();
      const attached = c.version.gte('3.42') && v.status === 'in-use';
      await extendVolume(d, state(c.req).ctx, v, Number(a.new_size), attached);
    },
  },
  revert: {
    since: '3.40',
    async run(d, c) {
      if (!isObject(c.body.revert))
        throw new BadRequest("Missing required element 'revert' in request body.");
      await revertToSnapshot(d, state(c.req).ctx, await c.volume(), c.body.revert.snapshot_id);
    },
  },
  'os-retype': {
    async run(d, c) {
      const a = schemas.validateRetype(c.body)['os-retype'];
      const policy: MigrationPolicy | null = a.migration_policy ?? null;
      await retypeVolume(d, state(c.req).ctx, await c.volume(), a.new_type, policy);
    },
  },
  'os-set_bootable': {
    status: 200,
    async run(d, c) {
      const a = schemas.validateSetBootable(c.body)['os-set_bootable'];
      await setBootable(d, state(c.req).ctx, await c.volume(), bool(a.bootable));
    },
  },
  'os-update_readonly_flag': {
    async run(d, c) {
      const a = schemas.validateUpdateReadonlyFlag(c.body)['os-update_readonly_flag'];
      await updateReadonlyFlag(d, state(c.req).ctx, await c.volume(), bool(a.readonly));
    },
  },
  'os-reset_status': {
    async run(d, c) {
      const a = schemas.validateResetStatus(c.body)['os-reset_status'];
      await resetStatus(d, state(c.req).ctx, await c.volume(), a);
    },
  },
  'os-reserve': {
    async run(d, c) {
      await reserveVolume(d, state(c.req).ctx, await c.volume());
    },
  },
  'os-unreserve': {
    async run(d, c) {
      await unreserveVolume(d, state(c.req).ctx, await c.volume());
    },
  },
  'os-begin_detaching': {
    async run(d, c) {
      await beginDetaching(d, state(c.req).ctx, await c.volume());
    },
  },
  'os-roll_detaching': {
    async run(d, c) {
      await rollDetaching(d, state(c.req).ctx, await c.volume());
    },
  },
  'os-attach': {
    async run(d, c) {
      const a = schemas.validateAttach(c.body)['os-attach'];
      await attachVolume(d, state(c.req).ctx, await c.volume(), {
        instance_uuid: a.instance_uuid ?? null,
        host_name: a.host_name ?? null,
        mountpoint: a.mountpoint,
        mode: a.mode ?? 'rw',
      });
    },
  },
  'os-detach': {
    async run(d, c) {
      // NOTE: `{"os-detach": null}` is a detach without an attachment id.
      const a = schemas.validateDetach(c.body)['os-detach'];
      await detachVolume(d, state(c.req).ctx, await c.volume(), a?.attachment_id ?? null);
    },
  },
  'os-initialize_connection': {
    status: 200,
    async run(d, c) {
      const a = schemas.validateInitializeConnection(c.body)['os-initialize_connection'];
      const connector = connectorOf(a.connector);
      try {
        return {
          connection_info: await initializeConnection(d, state(c.req).ctx, await c.volume(), connector),
        };
      } catch (e) {
        if (e instanceof VolumeBackendAPIException)
          throw new ServerErrorExplained('Unable to fetch connection information from backend.');
        throw e;
      }
    },
  },
  'os-terminate_connection': {
    async run(d, c) {
      const a = schemas.validateTerminateConnection(c.body)['os-terminate_connection'];
      try {
        await terminateConnection(d, state(c.req).ctx, await c.volume(), a.connector);
      } catch (e) {
        if (e instanceof VolumeBackendAPIException)
          throw new ServerErrorExplained('Unable to terminate volume connection from backend.');
        throw e;
      }
    },
  },
  'os-force_detach': {
    async run(d, c) {
      const a = schemas.validateForceDetach(c.body)['os-force_detach'];
      await forceDetach(d, state(c.req).ctx, await c.volume(), a.connector ?? null, a.attachment_id ?? null);
    },
  },
  'os-force_delete': {
    async run(d, c) {
      await forceDelete(d, state(c.req).ctx, await c.volume());
    },
  },
  'os-migrate_volume': {
    async run(d, c) {
      const withCluster = c.version.gte('3.16');
      const a = (withCluster ? schemas.validateMigrateVolumeV316 : schemas.validateMigrateVolume)(c.body)[
        'os-migrate_volume'
      ];
      // Cinder's `get_cluster_host`.
      const cluster = withCluster ? (a.cluster ?? null) : null;
      const host = a.host ?? null;
      if (pyTruthy(cluster) === pyTruthy(host))
        throw new InvalidInput(
          withCluster ? 'One and only one of cluster and host must be set.' : 'Host field is missing.',
        );
      const v = await c.volume();
      await migrateVolume(d, state(c.req).ctx, v, {
        host: host || null,
        cluster: cluster || null,
        forceHostCopy: bool(a.force_host_copy ?? false),
        lockVolume: bool(a.lock_volume ?? false),
      });
    },
  },
  'os-migrate_volume_completion': {
    status: 200,
    async run(d, c) {
      const a = schemas.validateMigrateVolumeCompletion(c.body)['os-migrate_volume_completion'];
      const ctx = state(c.req).ctx;
      const saved = await migrateVolumeCompletion(ctx, await c.volume(), () =>
        d.volumes.get(ctx, a.new_volume),
      );
      return { save_volume_id: saved };
    },
  },
  // ---- images (Glance) ----
  'os-volume_upload_image': {
    async run(d, c) {
      const v31 = c.version.gte('3.1');
      const a = (v31 ? schemas.validateVolumeUploadImageV31 : schemas.validateVolumeUploadImage)(c.body)[
        'os-volume_upload_image'
      ];
      const v = await c.volume();
      const answer = await uploadToImage(d, state(c.req).ctx, v, {
        imageName: a.image_name,
        force: bool(a.force ?? false),
        diskFormat: a.disk_format ?? 'raw',
        // NOTE: a null given is passed on as null (not `??`), as Cinder does.
        containerFormat: a.container_format !== undefined ? a.container_format : 'bare',
        ...(v31 && {
          visibility: a.visibility ?? 'private',
          protected: bool(a.protected ?? false),
        }),
      });
      return { 'os-volume_upload_image': answer };
    },
  },
  'os-reimage': {
    since: '3.68',
    async run(d, c) {
      const a = schemas.validateReimage(c.body)['os-reimage'];
      const v = await c.volume();
      await reimageVolume(d, state(c.req).ctx, v, a.image_id, bool(a.reimage_reserved ?? false));
    },
  },
  // ---- unmanage (Cinder's volume_unmanage.py): the backend keeps the object (src/volume/manage-api.ts) ----
  'os-unmanage': {
    async run(d, c) {
      await new VolumeManageAPI(d.core).unmanage(state(c.req).ctx, await c.volume());
    },
  },
  // ---- image metadata (database only: no image service involved) ----
  'os-show_image_metadata': {
    status: 200,
    async run(d, c) {
      return { metadata: await showImageMetadata(d, state(c.req).ctx, await c.volume()) };
    },
  },
  'os-set_image_metadata': {
    status: 200,
    async run(d, c) {
      const { metadata } = imageMetadataSchemas.validateSetImageMetadata(c.body)['os-set_image_metadata'];
      return { metadata: await setImageMetadata(d, state(c.req).ctx, await c.volume(), metadata) };
    },
  },
  'os-unset_image_metadata': {
    status: 200,
    async run(d, c) {
      const { key } = imageMetadataSchemas.validateUnsetImageMetadata(c.body)['os-unset_image_metadata'];
      await unsetImageMetadata(d, state(c.req).ctx, await c.volume(), key);
    },
  },
};

/** Cinder actions on volumes that Kindling does not offer yet. */
const NOT_YET = new Set<string>();

/**
 * Cinder's `action_peek` on the parsed body: a dict with exactly one key names the action; any
 * other length is `Malformed request body`; values without a dict's keys end as a bare 404.
 */
function peekAction(body: unknown): { action: string; body: JsonObject } {
  if (body === undefined) throw noSuchAction('None');
  const length = isObject(body)
    ? Object.keys(body).length
    : Array.isArray(body)
      ? body.length
      : typeof body === 'string'
        ? [...body].length
        : null;
  if (length !== null && length !== 1) throw new BadRequest('Malformed request body');
  if (!isObject(body)) throw new ItemNotFound();
  return { action: Object.keys(body)[0]!, body };
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

export function volumeActionRoutes(deps: ApiDeps) {
  const d: ActionDeps = {
    core: deps.core,
    volumes: deps.volumes,
    rpc: new VolumeRPCAPI(deps.core.transport),
  };
  return async (app: FastifyInstance) => {
    async function dispatch(req: FastifyRequest<ById>, reply: FastifyReply) {
      const s = state(req);
      const { action, body } = peekAction(req.body);
      const handler = Object.hasOwn(HANDLERS, action) ? HANDLERS[action] : undefined;
      const id = req.params.id;
      if (!handler) {
        if (NOT_YET.has(action)) {
          // NOTE: Cinder loads the volume first: another project's or a missing one is a 404.
          await deps.volumes.get(s.ctx, id);
          throw new NotImplementedYet(`The volume action ${action} is not supported by Kindling yet.`);
        }
        throw noSuchAction(action);
      }
      if (handler.since && !s.version.gte(handler.since)) throw new ItemNotFound();
      const result = await handler.run(d, {
        req,
        version: s.version,
        body,
        volume: () => deps.volumes.get(s.ctx, id),
      });
      reply.code(handler.status ?? 202);
      return result === undefined ? reply.send() : result;
    }

    app.post<ById>('/volumes/:id/action', dispatch);
  };
}
