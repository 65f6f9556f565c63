/**
 * `POST /snapshots/{id}/action` (Cinder's `SnapshotAdminController` and
 * `SnapshotActionsController`): `os-reset_status` and `os-force_delete` (admin), and
 * `os-update_snapshot_status`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { InvalidInput, InvalidParameterValue } from '../../common/errors.js';
import { pythonRepr } from '../../common/strutils.js';
import { SNAPSHOT_STATUSES } from '../../volume/snapshot-api.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/snapshots.js';
import { actionArgs, adminActionHandlers, dispatchAction } from './actions.js';
import { snapshotApiOf } from './snapshots.js';
import { VolumeManageAPI } from '../../volume/manage-api.js';

const validateUpdateStatus = compileSchema<schemas.UpdateSnapshotStatusBody>(schemas.updateSnapshotStatus);

/**
 * Cinder's `snapshot_status` format: python-jsonschema meets it (a string `status`) before any
 * later keyword, and its error escapes validation as `InvalidParameterValue`.
 */
function checkSnapshotStatusFormat(body: unknown): void {
  const status = actionArgs(body, 'os-reset_status')?.status;
  if (typeof status !== 'string') return;
  if (!status || !(SNAPSHOT_STATUSES as readonly string[]).includes(status.toLowerCase()))
    throw new InvalidParameterValue(
      `Snapshot status: ${status} is invalid, valid statuses are: (${SNAPSHOT_STATUSES.map((x) => pythonRepr(x)).join(', ')}).`,
    );
}

/** Cinder's `progress` format: empty, or an integer percentage `0%`..`100%`. */
function checkProgressFormat(body: unknown): void {
  const progress = actionArgs(body, 'os-update_snapshot_status')?.progress;
  if (typeof progress !== 'string' || !progress) return;
  const digits = progress.slice(0, -1).trim();
  if (!/^[+-]?\d+$/.test(digits)) throw new InvalidInput('progress must be an integer percentage');
  const n = Number(digits);
  if (n < 0 || n > 100 || !progress.endsWith('%'))
    throw new InvalidInput('progress must be an integer percentage between 0 and 100');
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };

export function snapshotActionRoutes(deps: ApiDeps) {
  const api = snapshotApiOf(deps);
  const manage = new VolumeManageAPI(deps.core);

  return async (app: FastifyInstance) => {
    async function action(req: FastifyRequest<ById>, reply: FastifyReply) {
      const { ctx } = state(req);
      const id = req.params.id;
      await dispatchAction(req.body, {
        ...adminActionHandlers(ctx, id, api, checkSnapshotStatusFormat),
        // Cinder's snapshot_unmanage.py: the backend keeps the snapshot (src/volume/manage-api.ts).
        'os-unmanage': async () => {
          await manage.unmanageSnapshot(ctx, await api.get(ctx, id));
        },
        'os-update_snapshot_status': async (body) => {
          checkProgressFormat(body);
          const b = validateUpdateStatus(body)['os-update_snapshot_status'];
          await api.updateSnapshotStatus(ctx, id, b.status, b.progress);
        },
      });
      return reply.code(202).send();
    }

    app.post<ById>('/snapshots/:id/action', action);
  };
}
