/**
 * `POST /workers/cleanup` (3.24+; Cinder's `api/v3/workers.py`): asks the scheduler to have the
 * matching services' unfinished work (their `workers` rows) cleaned, and answers which services
 * were sent a cleanup and which had no live service to do it.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import { InvalidInput, ItemNotFound } from '../../common/errors.js';
import { boolFromString, pythonRepr } from '../../common/strutils.js';
import { isoNow } from '../../common/time.js';
import { listPendingWork } from '../../volume/pending-work.js';
import { listServices } from '../../volume/service-rows.js';
import type { CleanupRequest } from '../../volume/rpcapi.js';
import { compileSchema } from '../validation/index.js';
import * as parameterTypes from '../schemas/parameter-types.js';
import type { BooleanLike } from '../schemas/parameter-types.js';

/** Cinder's `parameter_types.hostname`. */
const hostname = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 255,
  pattern: '^[a-zA-Z0-9-._#@:/+]*$',
} as const;

/** A `POST /workers/cleanup` body: `service_id` is an integer or a digit string. */
interface CleanupBody {
  cluster_name?: string | null;
  disabled?: BooleanLike;
  host?: string | null;
  is_up?: BooleanLike;
  binary?: 'cinder-volume' | 'cinder-scheduler';
  resource_id?: string | null;
  resource_type?: string | null;
  service_id?: number | string | null;
}

/** Cinder's `workers.cleanup`. */
const validateCleanup = compileSchema<CleanupBody>({
  type: 'object',
  properties: {
    cluster_name: hostname,
    disabled: parameterTypes.boolean,
    host: hostname,
    is_up: parameterTypes.boolean,
    binary: { enum: ['cinder-volume', 'cinder-scheduler'] },
    resource_id: parameterTypes.optionalUuid,
    resource_type: { type: ['string', 'null'], minLength: 0, maxLength: 40 },
    service_id: { type: ['integer', 'string', 'null'], pattern: '^[0-9]*$', maxLength: 11 },
  },
  additionalProperties: false,
});

/** Cinder's `cleanable_resource_types`. */
const CLEANABLE_TYPES = ['Volume', 'Snapshot'];

/** Python's `str.title()`: each run of letters capitalised, the rest lower-cased. */
function pythonTitle(text: string): string {
  return text
    .toLowerCase()
    .replace(/(^|[^\p{L}])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

/** Route group for `/workers`. */
export function workerRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;
  return async (app: FastifyInstance) => {
    app.post('/workers/cleanup', async (req, reply) => {
      const { ctx, version } = state(req);
      if (!version.gte('3.24')) throw new ItemNotFound();
      authorize(ctx, 'workers:cleanup');
      // NOTE: no body is an empty request; a JSON `null` is validated (and refused) as Cinder does.
      const body = validateCleanup(req.body === undefined ? {} : req.body);
      const request: CleanupRequest = {
        cluster_name: body.cluster_name ?? null,
        host: body.host ?? null,
        binary: body.binary ?? null,
        // NOTE: Cinder's CleanupRequest defaults `is_up` to False: without it, only services
        // that are down are cleaned (the schema refuses a null, as Cinder's boolean does).
        is_up: body.is_up === undefined ? false : boolFromString(body.is_up),
        disabled:
          body.disabled === undefined || body.disabled === null ? null : boolFromString(body.disabled),
        resource_id: body.resource_id ?? null,
        resource_type: null,
        service_id:
          body.service_id === undefined || body.service_id === null || body.service_id === ''
            ? null
            : Number(body.service_id),
      };
      const resourceType = body.resource_type;
      if (resourceType) {
        const titled = pythonTitle(resourceType);
        if (!CLEANABLE_TYPES.includes(titled))
          throw new InvalidInput(
            `Resource type ${titled} not valid, must be ${CLEANABLE_TYPES.join(' or ')}`,
          );
        request.resource_type = titled;
      }
      if (request.resource_id && !['service_id', 'cluster_name', 'host'].some((k) => k in body)) {
        // Cinder: the resource's worker row says where it is, so only its service is asked.
        const rows = await listPendingWork(db, {
          resource_id: request.resource_id,
          binary: request.binary,
          resource_type: request.resource_type,
        });
        // NOTE: Cinder builds these two messages as (text, id) tuples by mistake; its answer shows
        // the tuple, and so does this one.
        if (rows.length === 0)
          throw new InvalidInput(
            pythonRepr(['There is no resource with UUID %s pending cleanup.', request.resource_id]).replace(
              /^\[(.*)\]$/s,
              '($1)',
            ),
          );
        if (rows.length > 1)
          throw new InvalidInput(
            pythonRepr([
              'There are multiple resources with UUID %s pending cleanup.  Please be more specific.',
              request.resource_id,
            ]).replace(/^\[(.*)\]$/s, '($1)'),
          );
        request.service_id = rows[0]!.service_id;
        request.resource_type = rows[0]!.resource_type;
      }
      request.until = isoNow();
      // NOTE: a service id that names no service matches nothing (as in Cinder's query).
      if (request.service_id !== null && !(await listServices(db)).some((s) => s.id === request.service_id))
        return reply.code(202).send({ cleaning: [], unavailable: [] });
      const result = await deps.schedulerRpc.workCleanup(ctx, request);
      return reply.code(202).send({ cleaning: result.cleaning, unavailable: result.unavailable });
    });
  };
}
