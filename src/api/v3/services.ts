/**
 * `/os-services` (Cinder's `api/contrib/services.py`, with os-extended-services): the service list
 * and `PUT enable | disable | disable-log-reason | freeze | thaw | failover_host | failover |
 * set-log | get-log`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state, queryOf } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { InvalidInput, ValidationError } from '../../common/errors.js';
import type { RequestContext } from '../../common/context.js';
import type { APIVersion } from '../microversion.js';
import { checkLogLevel, getLogLevels, setLogLevels } from '../../common/log-levels.js';
import { failoverHost, freezeHost, thawHost } from '../../volume/backend-admin.js';
import { SCHEDULER_TOPIC, volumeTarget, type Target } from '../../rpc/transport.js';
import { backupTarget } from '../../backup/rpcapi.js';
import type { ServiceRow } from '../../db/api/services.js';
import { pythonRepr } from '../../common/strutils.js';
import {
  findServices,
  hostMatches,
  listServices,
  serviceIsUp,
  setServiceDisabled,
} from '../../volume/service-rows.js';
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

/** An {@link enableAndDisable} body (`binary` or `service` given). */
interface EnableDisableBody {
  binary?: string;
  host?: string | null;
  cluster?: string | null;
  service?: string;
}

/** A {@link disableLogReason} body. */
interface DisableLogReasonBody extends EnableDisableBody {
  disabled_reason?: string;
}

const validateEnableDisable = compileSchema<EnableDisableBody>(enableAndDisable);
const validateDisableLogReason = compileSchema<DisableLogReasonBody>(disableLogReason);

/** Cinder's `disabled_reason` format: when given, 1–255 characters once stripped. */
export function checkDisabledReason(body: { readonly disabled_reason?: unknown }): void {
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

const nullableString = { type: ['string', 'null'] } as const;

/** Where a backend action acts: Cinder's `get_cluster_host` reads these. */
interface ClusterHostBody {
  host?: string | null;
  cluster?: string | null;
}

/** `os_services.freeze_and_thaw`. */
const validateFreezeThaw = compileSchema<ClusterHostBody>({
  type: 'object',
  properties: { cluster: nullableString, host: cinderHost },
  additionalProperties: false,
});

/** An `os_services.failover_host` body. */
interface FailoverBody extends ClusterHostBody {
  backend_id?: string | null;
}

/** `os_services.failover_host`. */
const validateFailover = compileSchema<FailoverBody>({
  type: 'object',
  properties: { host: cinderHost, backend_id: nullableString, cluster: nullableString },
  additionalProperties: false,
});

/** Binaries whose log levels can be read and set, as Cinder's `LOG_BINARIES`. */
const LOG_BINARIES = ['cinder-scheduler', 'cinder-volume', 'cinder-backup', 'cinder-api'] as const;
const binaryParam = { type: 'string', enum: [...LOG_BINARIES, '', '*'] } as const;

/** `os_services.get_log`; `set_log` adds `level` (checked as Cinder's `format: level`). */
const getLogSchema = {
  type: 'object',
  properties: { binary: binaryParam, server: nullableString, prefix: nullableString },
  additionalProperties: false,
} as const;
/** A {@link getLogSchema} body. */
interface GetLogBody {
  binary?: (typeof LOG_BINARIES)[number] | '' | '*';
  server?: string | null;
  prefix?: string | null;
}

/** A `set_log` body. */
interface SetLogBody extends GetLogBody {
  level?: string | null;
}

const validateGetLog = compileSchema<GetLogBody>(getLogSchema);
const validateSetLog = compileSchema<SetLogBody>({
  ...getLogSchema,
  properties: { ...getLogSchema.properties, level: { type: ['string', 'null'] } },
});

/**
 * Cinder's `get_cluster_host`: exactly one of `cluster` and `host` where the cluster field exists
 * (`clusterVersion` null: always; a version: from it on; false: never, host required).
 */
function clusterHost(
  body: ClusterHostBody,
  version: APIVersion,
  clusterVersion: string | null | false,
): { host: string | null; cluster: string | null } {
  const withCluster = clusterVersion === null || (clusterVersion !== false && version.gte(clusterVersion));
  const cluster = withCluster ? (body.cluster ?? null) : null;
  const host = body.host ?? null;
  if (!!cluster === !!host)
    throw new InvalidInput(
      withCluster ? 'One and only one of cluster and host must be set.' : 'Host field is missing.',
    );
  return { host, cluster };
}

/** Route generics: the URL parameters of a route. */
type ByAction = { Params: { action: string } };

/** Route group for `/os-services`. */
export function serviceRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  const downTime = deps.core.config.DEFAULT.service_down_time;
  const transport = deps.core.transport;

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

  const NOT_SPECIAL = Symbol('not special');

  /**
   * The actions that act on a backend or on services' loggers rather than on one service row.
   * Returns what to answer, or NOT_SPECIAL for enable/disable.
   */
  async function backendAction(
    action: string,
    body: unknown,
    ctx: RequestContext,
    version: APIVersion,
    reply: FastifyReply,
  ): Promise<unknown> {
    switch (action) {
      case 'freeze':
        await freezeHost(deps.core, ctx, clusterHost(validateFreezeThaw(body), version, '3.26'));
        return reply.code(200).send();
      case 'thaw': {
        const problem = await thawHost(
          deps.core,
          ctx,
          clusterHost(validateFreezeThaw(body), version, '3.26'),
        );
        return problem === null ? reply.code(200).send() : problem;
      }
      case 'failover_host':
      case 'failover': {
        if (action === 'failover' && !version.gte('3.26')) break;
        const where = clusterHost(validateFailover(body), version, action === 'failover' ? null : false);
        await failoverHost(deps.core, where);
        return reply.code(202).send();
      }
      case 'set-log': {
        if (!version.gte('3.32')) break;
        const valid = validateSetLog(body);
        checkLogLevel(valid.level);
        await setLogs(ctx, valid);
        return reply.code(202).send();
      }
      case 'get-log':
        if (!version.gte('3.32')) break;
        return { log_levels: await getLogs(ctx, validateGetLog(body)) };
    }
    return NOT_SPECIAL;
  }

  /** Cinder's `_log_params_binaries_services`: binaries asked for, and the up services among them. */
  async function logTargets(body: GetLogBody) {
    const binary = body.binary ?? '';
    const all = binary === '' || binary === '*';
    if (binary === 'cinder-api') return { binaries: ['cinder-api'], services: [] };
    const server = body.server ?? null;
    const services = (await listServices(db, all ? {} : { binary })).filter(
      (s) =>
        serviceIsUp(s, downTime) &&
        (!server || hostMatches(server, s.host) || (!!s.cluster_name && hostMatches(server, s.cluster_name))),
    );
    return { binaries: all ? [...LOG_BINARIES] : [binary], services };
  }

  /** The RPC target of one service's own queue, by binary (null for binaries without one). */
  function serviceTarget(s: ServiceRow): Target | null {
    if (s.binary === 'cinder-volume') return volumeTarget(s.host);
    if (s.binary === 'cinder-scheduler') return { topic: SCHEDULER_TOPIC, server: s.host };
    if (s.binary === 'cinder-backup') return backupTarget(s.host);
    return null;
  }

  async function setLogs(ctx: RequestContext, body: SetLogBody): Promise<void> {
    const prefix = body.prefix ?? null;
    const { binaries, services } = await logTargets(body);
    if (binaries.includes('cinder-api')) setLogLevels(prefix, body.level);
    for (const s of services) {
      const target = serviceTarget(s);
      if (target) await transport.call(target, 'set_log_levels', { prefix, level: body.level }, ctx, 30);
    }
  }

  async function getLogs(ctx: RequestContext, body: GetLogBody) {
    const prefix = body.prefix ?? null;
    const { binaries, services } = await logTargets(body);
    const out: { host: string; binary: string; levels: Record<string, string> }[] = [];
    const server = body.server;
    const apiHost = deps.core.config.DEFAULT.host;
    if ((!server || server === apiHost) && binaries.includes('cinder-api'))
      out.push({ host: apiHost, binary: 'cinder-api', levels: getLogLevels(prefix) });
    for (const s of services) {
      const target = serviceTarget(s);
      if (!target) continue;
      const levels = await transport.call<Record<string, string>>(
        target,
        'get_log_levels',
        { prefix },
        ctx,
        30,
      );
      out.push({ host: s.host, binary: s.binary, levels });
    }
    return out;
  }

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest) {
      const { ctx, version } = state(req);
      authorize(ctx, 'volume_extension:services:index');
      const q = queryOf(req);
      const rows = await findServices(db, { host: q.host ?? null, binary: q.binary ?? null });
      const backendState = version.gte('3.49') ? await backendStates(req) : new Map<string, string>();
      const now = Date.now();
      return {
        services: rows.map((s) =>
          serviceView(s, { version, up: serviceIsUp(s, downTime, now), backendState, now }),
        ),
      };
    }

    async function update(req: FastifyRequest<ByAction>, reply: FastifyReply) {
      const { ctx, version } = state(req);
      authorize(ctx, 'volume_extension:services:update');
      const action = req.params.action;
      const special = await backendAction(action, req.body, ctx, version, reply);
      if (special !== NOT_SPECIAL) return special;
      let body: EnableDisableBody;
      let disabled: boolean;
      /** `disable-log-reason`'s reason (null when not given); undefined for enable and disable. */
      let disabledReason: string | null | undefined;
      if (action === 'enable' || action === 'disable') {
        body = validateEnableDisable(req.body);
        disabled = action === 'disable';
      } else if (action === 'disable-log-reason') {
        const withReason = validateDisableLogReason(req.body);
        checkDisabledReason(withReason);
        body = withReason;
        disabled = true;
        disabledReason = withReason.disabled_reason ?? null;
      } else {
        throw new InvalidInput('Unknown action');
      }
      const host = body.host;
      if (!host) throw new InvalidInput('Host field is missing.');
      const service = body.service ?? '';
      const binary = body.binary ?? '';
      const binaryKey = binary || service;
      await setServiceDisabled(db, host, binaryKey, disabled, disabledReason);
      const out = disabledReason === undefined ? { disabled } : { disabled_reason: disabledReason, disabled };
      return { ...out, host, service, binary, status: disabled ? 'disabled' : 'enabled' };
    }

    app.get('/os-services', index);
    app.put<ByAction>('/os-services/:action', update);
  };
}
