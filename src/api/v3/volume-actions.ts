/**
 * `POST /volumes/{id}/action` (Cinder's `VolumeActionsController`, `VolumeAdminController` and the
 * v3 `revert`): one dispatcher that reads the action from the body's only key, as Cinder's
 * `action_peek`, validates the body with the action's schema, loads the volume and calls the
 * action's API-side function in `src/volume/actions/`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state } from '../request.js';
import { BadRequest, InvalidInput, ItemNotFound, NotImplementedYet } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';
import type { VolumeRecord } from '../../db/api/volumes.js';
import type { APIVersion } from '../microversion.js';
import * as schemas from '../schemas/volume-actions.js';
import { isObject, pyTruthy } from '../validation/python-values.js';
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
import { noSuchAction } from './actions.js';

type Body = Record<string, unknown>;

/** One request to an action. */
interface ActionCall {
  readonly req: FastifyRequest;
  readonly version: APIVersion;
  readonly body: Body;
  /** The action's own object (`body[action]`), once the body is validated. */
  readonly args: Body;
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

/** Cinder's `strutils.bool_from_string(v, strict=True)` on a value the schema already allowed. */
const bool = (v: unknown) => boolFromString(v, true);

const HANDLERS: Readonly<Record<string, ActionHandler>> = {
  'os-extend': {
    async run(d, c) {
      schemas.validateExtend(c.body);
      const v = await c.volume();
      const attached = c.version.gte('3.42') && v.status === 'in-use';
      await extendVolume(d, state(c.req).ctx, v, Number(c.args.new_size), attached);
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
      schemas.validateRetype(c.body);
      const policy = (c.args.migration_policy ?? null) as MigrationPolicy | null;
      await retypeVolume(d, state(c.req).ctx, await c.volume(), c.args.new_type as string, policy);
    },
  },
  'os-set_bootable': {
    status: 200,
    async run(d, c) {
      schemas.validateSetBootable(c.body);
      await setBootable(d, state(c.req).ctx, await c.volume(), bool(c.args.bootable));
    },
  },
  'os-update_readonly_flag': {
    async run(d, c) {
      schemas.validateUpdateReadonlyFlag(c.body);
      await updateReadonlyFlag(d, state(c.req).ctx, await c.volume(), bool(c.args.readonly));
    },
  },
  'os-reset_status': {
    async run(d, c) {
      schemas.validateResetStatus(c.body);
      await resetStatus(d, state(c.req).ctx, await c.volume(), c.args);
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
  'os-force_delete': {
    async run(d, c) {
      await forceDelete(d, state(c.req).ctx, await c.volume());
    },
  },
  'os-migrate_volume': {
    async run(d, c) {
      const withCluster = c.version.gte('3.16');
      (withCluster ? schemas.validateMigrateVolumeV316 : schemas.validateMigrateVolume)(c.body);
      // Cinder's `get_cluster_host`.
      const cluster = withCluster ? ((c.args.cluster ?? null) as string | null) : null;
      const host = (c.args.host ?? null) as string | null;
      if (pyTruthy(cluster) === pyTruthy(host))
        throw new InvalidInput(
          withCluster ? 'One and only one of cluster and host must be set.' : 'Host field is missing.',
        );
      const v = await c.volume();
      await migrateVolume(d, state(c.req).ctx, v, {
        host: host || null,
        cluster: cluster || null,
        forceHostCopy: bool(c.args.force_host_copy ?? false),
        lockVolume: bool(c.args.lock_volume ?? false),
      });
    },
  },
  'os-migrate_volume_completion': {
    status: 200,
    async run(d, c) {
      schemas.validateMigrateVolumeCompletion(c.body);
      const ctx = state(c.req).ctx;
      const saved = await migrateVolumeCompletion(ctx, await c.volume(), () =>
        d.volumes.get(ctx, c.args.new_volume as string),
      );
      return { save_volume_id: saved };
    },
  },
};

/** Cinder actions on volumes that Kindling does not offer yet (attach, images, unmanage, …). */
const NOT_YET = new Set([
  'os-attach',
  'os-detach',
  'os-begin_detaching',
  'os-roll_detaching',
  'os-initialize_connection',
  'os-terminate_connection',
  'os-force_detach',
  'os-volume_upload_image',
  'os-reimage',
  'os-unmanage',
  'os-set_image_metadata',
  'os-unset_image_metadata',
  'os-show_image_metadata',
]);

/**
 * Cinder's `action_peek` on the parsed body: a dict with exactly one key names the action; any
 * other length is `Malformed request body`; values without a dict's keys end as a bare 404.
 */
function peekAction(body: unknown): string {
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
  return Object.keys(body)[0]!;
}

export function volumeActionRoutes(deps: ApiDeps) {
  const d: ActionDeps = {
    core: deps.core,
    volumes: deps.volumes,
    rpc: new VolumeRPCAPI(deps.core.transport),
  };
  return async (app: FastifyInstance) => {
    app.post('/volumes/:id/action', async (req, reply) => {
      const s = state(req);
      const action = peekAction(req.body);
      const handler = HANDLERS[action];
      const id = (req.params as { id: string }).id;
      if (!handler) {
        if (NOT_YET.has(action)) {
          // NOTE: Cinder loads the volume first: another project's or a missing one is a 404.
          await deps.volumes.get(s.ctx, id);
          throw new NotImplementedYet(`The volume action ${action} is not supported by Kindling yet.`);
        }
        throw noSuchAction(action);
      }
      if (handler.since && !s.version.gte(handler.since)) throw new ItemNotFound();
      const body = req.body as Body;
      const inner = body[action];
      const result = await handler.run(d, {
        req,
        version: s.version,
        body,
        args: isObject(inner) ? inner : {},
        volume: () => deps.volumes.get(s.ctx, id),
      });
      reply.code(handler.status ?? 202);
      return result === undefined ? reply.send() : result;
    });
  };
}
