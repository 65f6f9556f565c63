/**
 * QoS specs (Cinder's `volume/qos_specs.py` and the checks of its `QualityOfServiceSpecs` object):
 * creating and updating with Cinder's validation, deleting (with `force`), deleting keys and
 * associating with volume types.
 */
import { InvalidInput, InvalidQoSSpecs, InvalidVolumeType, VolumeTypeNotFound } from '../common/errors.js';
import type { Db, PageRequest } from '../db/api/common.js';
import {
  QOS_SPECS_COLUMNS,
  qosSpecsAssociate,
  qosSpecsAssociations,
  qosSpecsCreate,
  qosSpecsDelete,
  qosSpecsDeleteKeys,
  qosSpecsDisassociate,
  qosSpecsDisassociateAll,
  qosSpecsGet,
  qosSpecsGetOrFail,
  qosSpecsList,
  qosSpecsUpdateKeys,
  type QosSpecsRecord,
} from '../db/api/qos-specs.js';
import { volumeTypeGet } from '../db/api/volume-types.js';

/** What a list of specs may be filtered or sorted by: the columns of its table. */
export { QOS_SPECS_COLUMNS };

/** One live spec by id, or `QoSSpecsNotFound` (Cinder's `get_qos_specs`). */
export function getQosSpecs(db: Db, id: string): Promise<QosSpecsRecord> {
  return qosSpecsGetOrFail(db, id);
}

/** A page of specs matching the column filters (Cinder's `get_all_specs`). */
export function listQosSpecs(
  db: Db,
  columns: Partial<Record<(typeof QOS_SPECS_COLUMNS)[number], string>>,
  page: PageRequest,
): Promise<QosSpecsRecord[]> {
  return qosSpecsList(db, columns, page);
}

/** The types a spec is associated with (Cinder's `get_associations`). */
export function qosSpecsAssociatedTypes(db: Db, id: string): Promise<{ id: string; name: string }[]> {
  return qosSpecsAssociations(db, id);
}

/** Where a spec is enforced: by the hypervisor, the backend, or both. */
export const QOS_CONSUMERS = ['back-end', 'front-end', 'both'] as const;

/** Cinder's text for a bad consumer (the repr of its oslo field, verbatim). */
const BAD_CONSUMER =
  "Valid consumer of QoS specs are: QoSConsumerValues(default=<class 'oslo_versionedobjects.fields.UnspecifiedDefault'>," +
  "nullable=False,valid_values=('back-end', 'front-end', 'both'))";

/** A QoS spec still associated with volume types cannot be deleted without `force`. */
export class QoSSpecsInUse extends Error {}

/** oslo `check_string_length` as Cinder's `utils.check_string_length` raises it. */
function checkStringLength(value: unknown, name: string, min: number, max: number): void {
  if (typeof value !== 'string') throw new InvalidInput(`${name} is not a string or unicode`);
  const n = [...value].length; // Python's len: code points
  if (n < min) throw new InvalidInput(`${name} has ${n} characters, less than ${min}.`);
  if (n > max) throw new InvalidInput(`${name} has ${n} characters, more than ${max}.`);
}

/** Cinder's `validate_dictionary_string_length`: keys 1..255, values (when not null) 0..255. */
export function validateSpecsStrings(specs: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(specs)) {
    checkStringLength(key, `Key "${key}"`, 1, 255);
    if (value !== null) checkStringLength(value, `Value for key "${key}"`, 0, 255);
  }
}

/** The consumer a value sets: null means the default, `back-end`; others must be valid. */
function consumerOf(value: unknown): string {
  if (value === null || value === undefined) return 'back-end';
  if (!(QOS_CONSUMERS as readonly unknown[]).includes(value)) throw new InvalidQoSSpecs(BAD_CONSUMER);
  return value as string;
}

/** Creates a spec named `name` (already stripped) from the other keys of the request. */
export async function createQosSpecs(
  db: Db,
  name: string,
  requested: Record<string, unknown>,
): Promise<QosSpecsRecord> {
  validateSpecsStrings(requested);
  const { consumer, ...specs } = requested;
  return qosSpecsCreate(db, {
    name,
    consumer: consumerOf(consumer),
    specs: specs as Record<string, string | null>,
  });
}

/**
 * Sets keys of a spec (`consumer` included). Only changed keys are written, as Cinder's object
 * saves them: a null for a key the spec does not have is no change.
 */
export async function updateQosSpecs(
  db: Db,
  spec: QosSpecsRecord,
  requested: Record<string, string | null>,
): Promise<void> {
  validateSpecsStrings(requested);
  const changes: Record<string, string | null> = {};
  if ('consumer' in requested) {
    const consumer = consumerOf(requested.consumer);
    if (consumer !== spec.consumer) changes.consumer = consumer;
  }
  for (const [key, value] of Object.entries(requested)) {
    if (key === 'consumer') continue;
    const current = Object.hasOwn(spec.specs, key) ? spec.specs[key] : null;
    if (value !== current) changes[key] = value;
  }
  if (Object.keys(changes).length) await qosSpecsUpdateKeys(db, spec.id, changes);
}

/** Deletes a spec; while types use it, `QoSSpecsInUse` unless `force` (then they lose it). */
export async function deleteQosSpecs(db: Db, spec: QosSpecsRecord, force: boolean): Promise<void> {
  if ((await qosSpecsAssociations(db, spec.id)).length > 0) {
    if (!force) throw new QoSSpecsInUse(spec.id);
    await qosSpecsDisassociateAll(db, spec.id);
  }
  await qosSpecsDelete(db, spec.id);
}

/** Deletes keys of a spec (Cinder's `delete_keys`): a key it does not have is `QoSSpecsKeyNotFound`. */
export function deleteQosSpecsKeys(db: Db, spec: QosSpecsRecord, keys: readonly string[]): Promise<void> {
  return qosSpecsDeleteKeys(db, spec, keys);
}

/**
 * Associates a spec with a type (Cinder's `associate_qos_with_type`): a type already associated
 * with another spec is `InvalidVolumeType`; with this one, nothing changes.
 */
export async function associateQosSpecs(db: Db, spec: QosSpecsRecord, typeId: string): Promise<void> {
  const t = await volumeTypeGet(db, typeId, true);
  if (!t) throw new VolumeTypeNotFound(typeId);
  const current = t.qos_specs_id ? await qosSpecsGet(db, t.qos_specs_id) : null;
  if (current) {
    if (current.id !== spec.id)
      throw new InvalidVolumeType(
        `Type ${typeId} is already associated with another qos specs: ${current.id}`,
      );
    return;
  }
  if (t.deleted) throw new VolumeTypeNotFound(typeId);
  await qosSpecsAssociate(db, spec.id, typeId);
}

/** Removes a spec from a type (nothing happens when the type has another spec or none). */
export async function disassociateQosSpecs(db: Db, spec: QosSpecsRecord, typeId: string): Promise<void> {
  if (!(await volumeTypeGet(db, typeId))) throw new VolumeTypeNotFound(typeId);
  await qosSpecsDisassociate(db, spec.id, typeId);
}

/** Removes a spec from every type that has it (Cinder's `disassociate_all`). */
export function disassociateAllQosSpecs(db: Db, specId: string): Promise<void> {
  return qosSpecsDisassociateAll(db, specId);
}
