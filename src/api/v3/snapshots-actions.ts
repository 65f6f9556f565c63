/**
 * `POST /snapshots/{id}/action` (Cinder's `SnapshotAdminController` and
 * `SnapshotActionsController`): `os-reset_status` and `os-force_delete` (admin), and
 * `os-update_snapshot_status`.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state } from '../request.js';
import { InvalidInput, InvalidParameterValue } from '../../common/errors.js';
import { pythonRepr } from '../../common/strutils.js';
import { SNAPSHOT_STATUSES } from '../../volume/snapshot-api.js';
import { compileSchema } from '../validation/validator.js';
import * as schemas from '../schemas/snapshots.js';
import { actionName, noSuchAction } from './type-access.js';
import { snapshotApiOf } from './snapshots.js';

const validateResetStatus = compileSchema(schemas.resetStatus);
const validateUpdateStatus = compileSchema(schemas.updateSnapshotStatus);

/** The inner object of an action body, when it is one. */
function inner(body: unknown, action: string): Record<string, unknown> | null {
  const v = (body as Record<string, unknown>)[action];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * Cinder's `snapshot_status` format: python-jsonschema meets it (a string `status`) before any
 * later keyword, and its error escapes validation as `InvalidParameterValue`.
 */
function checkSnapshotStatusFormat(body: unknown): void {
  const status = inner(body, 'os-reset_status')?.status;
  if (typeof status !== 'string') return;
  if (!status || !(SNAPSHOT_STATUSES as readonly string[]).includes(status.toLowerCase()))
    throw new InvalidParameterValue(
      `Snapshot status: ${status} is invalid, valid statuses are: (${SNAPSHOT_STATUSES.map((x) => pythonRepr(x)).join(', ')}).`,
    );
}

/** Cinder's `progress` format: empty, or an integer percentage `0%`..`100%`. */
function checkProgressFormat(body: unknown): void {
  const progress = inner(body, 'os-update_snapshot_status')?.progress;
  if (typeof progress !== 'string' || !progress) return;
  const digits = progress.slice(0, -1).trim();
  if (!/^[+-]?\d+$/.test(digits)) throw new InvalidInput('progress must be an integer percentage');
  const n = Number(digits);
  if (n < 0 || n > 100 || !progress.endsWith('%'))
    throw new InvalidInput('progress must be an integer percentage between 0 and 100');
}

export function snapshotActionRoutes(deps: ApiDeps) {
  const api = snapshotApiOf(deps);

  return async (app: FastifyInstance) => {
    app.post('/snapshots/:id/action', async (req, reply) => {
      const { ctx } = state(req);
      const id = (req.params as { id: string }).id;
      // NOTE: with no body at all Cinder looks up the action `None`.
      const action = req.body === undefined ? 'None' : actionName(req.body);
      switch (action) {
        case 'os-reset_status': {
          checkSnapshotStatusFormat(req.body);
          validateResetStatus(req.body);
          const status = (inner(req.body, action)!.status as string).toLowerCase();
          await api.resetStatus(ctx, id, status);
          break;
        }
        case 'os-force_delete':
          await api.forceDelete(ctx, id);
          break;
        case 'os-update_snapshot_status': {
          checkProgressFormat(req.body);
          validateUpdateStatus(req.body);
          const b = inner(req.body, action)!;
          await api.updateSnapshotStatus(ctx, id, b.status as string, b.progress);
          break;
        }
        default:
          throw noSuchAction(action);
      }
      return reply.code(202).send();
    });
  };
}
