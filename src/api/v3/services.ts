/**
 * `/os-services` (Cinder's `api/contrib/services.py`, with os-extended-services): the service list
 * and `PUT enable | disable | disable-log-reason`. Freeze, thaw, failover and log levels need the
 * volume services' RPC APIs that Kindling does not have yet (501).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';
import { state, queryOf } from '../request.js';
import { authorize } from '../../auth/policy.js';
import {
  InvalidInput,
  NotImplementedYet,
  ServiceNotFoundOnHost,
  ValidationError,
} from '../../common/errors.js';
import { pythonRepr } from '../../common/strutils.js';
import { serviceFind, serviceIsUp, serviceSetDisabled } from '../../db/api/services.js';
import { compileSchema, cinderDetail } from '../validation/index.js';
import { serviceView } from '../views/services.js';

/** Cinder's `parameter_types.cinder_host`. */
const cinderHost = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 255,
  pattern: '^[a-zA-Z0-9-._#@:/+\\[\\]]*$',
} as const;

/** Cinder's `os_services.enable_and_disable` schema. */
const enableAndDisable = {
  type: 'object',
  properties: {
    binary: { type: 'string', minLength: 1, maxLength: 255 },
    host: cinderHost,
    cluster: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
    service: { type: 'string', minLength: 1, maxLength: 255 },
  },
  anyOf: [{ required: ['binary'] }, { required: ['service'] }],
  additionalProperties: false,
} as const;

/** `os_services.disable_log_reason`; its `disabled_reason` format is checked in {@link checkDisabledReason}. */
const disableLogReason = {
  ...enableAndDisable,
  properties: {
    ...enableAndDisable.properties,
    disabled_reason: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const;

const validateEnableDisable = compileSchema(enableAndDisable);
const validateDisableLogReason = compileSchema(disableLogReason);

/** Cinder's `disabled_reason` format: when given, 1–255 characters once stripped. */
function checkDisabledReason(body: Record<string, unknown>): void {
  const value = body.disabled_reason;
  if (typeof value !== 'string' || value === '') return;
  const n = [...value.trim()].length;
  if (n >= 1 && n <= 255) return;
  throw new ValidationError(
    cinderDetail({
      message: `${pythonRepr(value)} is not a 'disabled_reason'`,
      path: ['disabled_reason'],
      instance: value,
    }),
  );
}

/** Actions of Cinder's `update` that Kindling cannot serve yet, with the version they start at. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  freeze: '3.0',
  thaw: '3.0',
  failover_host: '3.0',
  failover: '3.26',
  'set-log': '3.32',
  'get-log': '3.32',
};

/** Route group for `/os-services`. */
export function serviceRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const downTime = deps.core.config.DEFAULT.service_down_time;

  /** `host@backend` → the scheduler's `backend_state` for its pools (3.49+). */
  async function backendStates(req: FastifyRequest): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const pool of await deps.schedulerRpc.getPools(state(req).ctx, null)) {
      const backend = pool.name.split('#')[0]!;
      const st = pool.capabilities?.backend_state;
      out.set(backend, typeof st === 'string' ? st : 'up');
    }
    return out;
  }

  return async (app: FastifyInstance) => {
    app.get('/os-services', async (req) => {
      const { ctx, version } = state(req);
      authorize(ctx, 'volume_extension:services:index');
      const q = queryOf(req);
      const rows = await serviceFind(db, { host: q.host ?? null, binary: q.binary ?? null });
      const backendState = version.gte('3.49') ? await backendStates(req) : new Map<string, string>();
      const now = Date.now();
      return {
        services: rows.map((s) =>
          serviceView(s, { version, up: serviceIsUp(s, downTime, now), backendState, now }),
        ),
      };
    });

    app.put('/os-services/:action', async (req) => {
      const { ctx, version } = state(req);
      authorize(ctx, 'volume_extension:services:update');
      const action = (req.params as { action: string }).action;
      const body = req.body as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let disabled: boolean;
      if (action === 'enable' || action === 'disable') {
        validateEnableDisable(body);
        disabled = action === 'disable';
      } else if (action === 'disable-log-reason') {
        validateDisableLogReason(body);
        checkDisabledReason(body);
        disabled = true;
        out.disabled_reason = body.disabled_reason ?? null;
      } else if (UNSUPPORTED[action] && version.gte(UNSUPPORTED[action])) {
        throw new NotImplementedYet(`The os-services action ${action} is not supported by Kindling yet.`);
      } else {
        throw new InvalidInput('Unknown action');
      }
      const host = body.host as string | null | undefined;
      if (!host) throw new InvalidInput('Host field is missing.');
      out.disabled = disabled;
      const service = (body.service ?? '') as string;
      const binary = (body.binary ?? '') as string;
      const binaryKey = binary || service;
      const [svc] = await serviceFind(db, { host, binary: binaryKey });
      if (!svc) throw new ServiceNotFoundOnHost(binaryKey, host);
      await serviceSetDisabled(
        db,
        svc.id,
        disabled,
        'disabled_reason' in out ? (out.disabled_reason as string | null) : undefined,
      );
      return { ...out, host, service, binary, status: disabled ? 'disabled' : 'enabled' };
    });
  };
}
