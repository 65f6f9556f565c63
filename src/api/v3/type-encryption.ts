/**
 * `/types/{type_id}/encryption[/{key}]` (Cinder's `api/contrib/volume_type_encryption.py`): a
 * type's encryption spec, kept in the database whether or not a key manager is configured, as in
 * Cinder. Specs of a type that volumes use cannot be created, changed or deleted. (Creating a
 * volume of an encrypted type is what needs a key manager; see `createEncryptionKey`.)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { state } from '../request.js';
import { authorize } from '../../auth/policy.js';
import type { RequestContext } from '../../common/context.js';
import { BadRequest, InvalidInput, VolumeTypeEncryptionNotFound } from '../../common/errors.js';
import { isIntLike } from '../../common/strutils.js';
import type { EncryptionValues } from '../../db/api/volume-type-encryption.js';
import {
  ENCRYPTION_FIELDS,
  createTypeEncryption,
  deleteTypeEncryption,
  getTypeEncryption,
  updateTypeEncryption,
} from '../../volume/type-encryption.js';
import { getVolumeType, isVolumeTypeInUse } from '../../volume/volume-types.js';
import { DB_MAX_INT } from '../schemas/parameter-types.js';
import * as schemas from '../schemas/volume-type-encryption.js';
import { compileSchema } from '../validation/validator.js';
import type { BodyValidator } from '../validation/types.js';
import { isObject } from '../validation/python-values.js';
import { encryptionSpecsView } from '../views/type-encryption.js';

const schemaCreate = compileSchema<schemas.CreateEncryptionBody>(schemas.create);
const schemaUpdate = compileSchema<schemas.UpdateEncryptionBody>(schemas.update);

/** Python's `int(s)` then `float(s)` of a string, as Cinder's minimum/maximum checks read it. */
function numberFromStr(text: string): number | null {
  const s = text.trim();
  if (/^[+-]?\d(?:_?\d)*$/.test(s)) return Number(s.replaceAll('_', ''));
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(s)) return Number(s);
  if (/^[+-]?(?:inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  return null;
}

/**
 * Cinder's `key_size` format, checked where the schema walk would meet it (the first property of
 * `encryption`, after its type and bounds): a string that is no canonical integer is 400
 * `Invalid input received: key_size must be an integer.`
 */
function checkKeySizeFormat(body: unknown): void {
  if (!isObject(body)) return;
  const enc = body.encryption;
  if (!isObject(enc)) return;
  const value = enc.key_size;
  if (typeof value !== 'string') return;
  const n = numberFromStr(value);
  if (n !== null && (n < 0 || n > DB_MAX_INT)) return; // the schema reports the bound
  if (!isIntLike(value)) throw new InvalidInput('key_size must be an integer.');
}

/** Validates a body as Cinder does and turns `key_size` into an integer (in the body too). */
function validated<T extends schemas.UpdateEncryptionBody>(body: unknown, schema: BodyValidator<T>): T {
  checkKeySizeFormat(body);
  const valid = schema(body);
  const ks = valid.encryption.key_size;
  if (ks !== undefined && ks !== null) valid.encryption.key_size = Number(ks);
  return valid;
}

/** The settable columns a body names (other keys are accepted and ignored, as on Cinder's create). */
function valuesOf(enc: Record<string, unknown>): EncryptionValues {
  const out: Record<string, unknown> = {};
  for (const f of ENCRYPTION_FIELDS) if (Object.hasOwn(enc, f)) out[f] = enc[f];
  return out;
}

/** Route generics: the URL parameters of a route. */
type ById = { Params: { id: string } };
type ByIdKey = { Params: { id: string; key: string } };

/** Route group for type encryption. */
export function typeEncryptionRoutes(deps: ApiDeps) {
  const db = deps.core.dbh.db;

  const notify = (ctx: RequestContext, event: string, payload: Record<string, unknown>) =>
    deps.core.notifier.notify(`volumeTypeEncryption.${deps.core.config.DEFAULT.host}`, event, {
      ...payload,
      request_id: ctx.requestId,
    });

  async function refuseInUse(typeId: string, verb: string): Promise<void> {
    if (await isVolumeTypeInUse(db, typeId))
      throw new BadRequest(`Cannot ${verb} encryption specs. Volume type in use.`);
  }

  return async (app: FastifyInstance) => {
    async function index(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:volume_type_encryption:get');
      const t = await getVolumeType(db, ctx, req.params.id);
      return encryptionSpecsView(await getTypeEncryption(db, t.id));
    }

    async function create(req: FastifyRequest<ById>) {
      const { ctx } = state(req);
      const body = validated(req.body, schemaCreate);
      authorize(ctx, 'volume_extension:volume_type_encryption:create');
      const typeId = req.params.id;
      await refuseInUse(typeId, 'create');
      await getVolumeType(db, ctx, typeId);
      const row = await createTypeEncryption(db, typeId, valuesOf(body.encryption));
      await notify(ctx, 'volume_type_encryption.create', { type_id: typeId, specs: body.encryption });
      return {
        encryption: { ...body.encryption, volume_type_id: typeId, encryption_id: row.encryption_id },
      };
    }

    async function update(req: FastifyRequest<ByIdKey>) {
      const { ctx } = state(req);
      const body = validated(req.body, schemaUpdate);
      authorize(ctx, 'volume_extension:volume_type_encryption:update');
      const { id: typeId, key } = req.params;
      await getVolumeType(db, ctx, typeId);
      await refuseInUse(typeId, 'update');
      await updateTypeEncryption(db, typeId, valuesOf(body.encryption));
      await notify(ctx, 'volume_type_encryption.update', { type_id: typeId, id: key });
      return body;
    }

    async function show(req: FastifyRequest<ByIdKey>) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:volume_type_encryption:get');
      const { id: typeId, key } = req.params;
      await getVolumeType(db, ctx, typeId);
      const specs = encryptionSpecsView(await getTypeEncryption(db, typeId));
      if (!Object.hasOwn(specs, key)) throw new VolumeTypeEncryptionNotFound(typeId);
      return { [key]: specs[key] };
    }

    async function destroy(req: FastifyRequest<ByIdKey>, reply: FastifyReply) {
      const { ctx } = state(req);
      authorize(ctx, 'volume_extension:volume_type_encryption:delete');
      const typeId = req.params.id;
      await refuseInUse(typeId, 'delete');
      await deleteTypeEncryption(db, typeId);
      return reply.code(202).send();
    }

    app.get<ById>('/types/:id/encryption', index);
    app.post<ById>('/types/:id/encryption', create);
    app.put<ByIdKey>('/types/:id/encryption/:key', update);
    app.get<ByIdKey>('/types/:id/encryption/:key', show);
    app.delete<ByIdKey>('/types/:id/encryption/:key', destroy);
  };
}
