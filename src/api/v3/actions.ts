/**
 * `POST /<resource>/{id}/action` bodies (Cinder's `action_peek` and its `wsgi` action lookup):
 * the body's only key names the action, an action no controller has is Cinder's 400.
 */
import { BadRequest } from '../../common/errors.js';
import type { RequestContext } from '../../common/context.js';
import { compileSchema } from '../validation/validator.js';
import { resetStatusAction, type ResetStatusActionBody } from '../schemas/parameter-types.js';
import { isObject } from '../validation/python-values.js';

const validateResetStatus = compileSchema<ResetStatusActionBody>(resetStatusAction);

/**
 * The action a body names: exactly one key, else `Malformed request body`. With no body at all
 * Cinder looks up the action `None`.
 */
export function actionName(body: unknown): string {
  if (body === undefined) return 'None';
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new BadRequest('Malformed request body');
  const keys = Object.keys(body);
  if (keys.length !== 1) throw new BadRequest('Malformed request body');
  return keys[0]!;
}

/** Cinder's answer to an action no controller has. */
export function noSuchAction(name: string): BadRequest {
  return new BadRequest(
    `There is no such action: ${name}. Verify the request body and Content-Type header and try again.`,
  );
}

/** The inner object of an action body (`body[action]`), when it is one. */
export function actionArgs(body: unknown, action: string): Record<string, unknown> | null {
  const v = isObject(body) ? body[action] : undefined;
  return isObject(v) ? v : null;
}

/** Runs the handler of the action `body` names; `noSuchAction` when there is none. */
export async function dispatchAction(
  body: unknown,
  handlers: Record<string, (body: unknown) => Promise<void>>,
): Promise<void> {
  const action = actionName(body);
  const handler = Object.hasOwn(handlers, action) ? handlers[action] : undefined;
  if (!handler) throw noSuchAction(action);
  await handler(body);
}

/** What Cinder's `AdminController` acts on (backups, snapshots). */
export interface AdminActionsApi {
  resetStatus(ctx: RequestContext, id: string, status: string): Promise<unknown>;
  forceDelete(ctx: RequestContext, id: string): Promise<unknown>;
}

/**
 * `os-reset_status` and `os-force_delete` of a resource. `checkStatus` is the resource's own
 * status format check, which Cinder's validator meets before the body's schema.
 */
export function adminActionHandlers(
  ctx: RequestContext,
  id: string,
  api: AdminActionsApi,
  checkStatus: (body: unknown) => void,
): Record<string, (body: unknown) => Promise<void>> {
  return {
    'os-reset_status': async (body) => {
      checkStatus(body);
      const { status } = validateResetStatus(body)['os-reset_status'];
      await api.resetStatus(ctx, id, status.toLowerCase());
    },
    'os-force_delete': async () => {
      await api.forceDelete(ctx, id);
    },
  };
}
