/**
 * Property: ajv (the fast path) and the python-order walker (the error path) give the same
 * verdict on every body, so a body ajv accepts is one Cinder accepts and a body ajv refuses always
 * gets Cinder's error text.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as quotaSets from '../../../src/api/schemas/quota-sets.js';
import * as volumeMetadata from '../../../src/api/schemas/volume-metadata.js';
import * as volumeTypes from '../../../src/api/schemas/volume-types.js';
import * as volumes from '../../../src/api/schemas/volumes.js';
import { compileAjv } from '../../../src/api/validation/ajv-engine.js';
import type { JsonSchema, ValidationContext } from '../../../src/api/validation/types.js';
import { firstSchemaError } from '../../../src/api/validation/walker.js';

const UUID = 'c0a1b2c3-d4e5-4f60-8a7b-9c8d7e6f5a4b';
const STRINGS = [
  '',
  ' ',
  'x',
  'vol-1',
  '1',
  '0',
  '-1',
  ' 12 ',
  '12\n',
  '1.5',
  '1e3',
  '2147483648',
  '١٢',
  'True',
  'yes',
  'maybe',
  UUID,
  UUID.toUpperCase(),
  `{${UUID}}`,
  `urn:uuid:${UUID}`,
  'a'.repeat(255),
  'a'.repeat(256),
  `  ${'a'.repeat(255)}  `,
  'a\u2028b',
  "it's",
  'a@b',
  'a b',
  'a/b',
  'k:v.x-y_z',
  '\u00a0',
  '2022-01-01T00:00:00Z',
];
const scalar = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, 1, -1, 1.5, 2147483647, 2147483648, 3000000000),
  fc.constantFrom(...STRINGS),
  fc.string({ maxLength: 5 }),
  fc.integer({ min: -5, max: 3000000000 }),
);
const key = fc.constantFrom(
  'a',
  'k',
  '',
  'a b',
  'a/b',
  'a@b',
  'x:y.z',
  'volumes',
  'gigabytes',
  'groups',
  'id',
  'bad',
);
const smallObject = fc.dictionary(key, scalar, { maxKeys: 3 });
const anyValue = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) },
  { weight: 2, arbitrary: smallObject },
);
const maybe = (a: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 8, arbitrary: a }, { weight: 1, arbitrary: anyValue });

/** Objects made of some of `fields` (shuffled), sometimes with unknown keys too. */
function objectOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const names = Object.keys(fields);
  const extras = fc.oneof(
    { weight: 3, arbitrary: fc.constant<string[]>([]) },
    { weight: 1, arbitrary: fc.shuffledSubarray(['foo', 'bar'], { maxLength: 2 }) },
  );
  return fc.tuple(fc.shuffledSubarray(names), extras, anyValue).chain(([chosen, unknown, extraValue]) =>
    fc.tuple(...chosen.map((n) => fields[n] ?? anyValue)).map((values) => {
      const o: Record<string, unknown> = {};
      chosen.forEach((n, i) => (o[n] = values[i]));
      for (const n of unknown) o[n] = extraValue;
      return o;
    }),
  );
}

const str = fc.constantFrom(...STRINGS);
const metadata = fc.oneof(
  fc.dictionary(
    fc.constantFrom('a', 'key', 'x:y.z', 'a b', 'a/b'),
    fc.constantFrom('v', '', 'x'.repeat(256)),
  ),
  smallObject,
  fc.constant(null),
);
const volumeFields = {
  name: maybe(fc.oneof(str, fc.constant(null))),
  description: maybe(str),
  display_name: maybe(str),
  display_description: maybe(str),
  volume_type: maybe(str),
  metadata: maybe(metadata),
  snapshot_id: maybe(fc.constantFrom(UUID, null, 'x')),
  source_volid: maybe(fc.constantFrom(UUID, null)),
  consistencygroup_id: maybe(fc.constantFrom(UUID, null)),
  size: maybe(
    fc.constantFrom<unknown>(1, 0, -1, 1.5, 2147483648, '1', '0', '10', 'x', ' 3', '3000000000', null),
  ),
  availability_zone: maybe(fc.constantFrom('nova', '', null, 'a'.repeat(256))),
  multiattach: maybe(fc.constantFrom<unknown>(true, false, 'yes', 'no', null, 'maybe', 1)),
  image_id: maybe(str),
  imageRef: maybe(str),
  group_id: maybe(str),
  backup_id: maybe(fc.constantFrom(UUID, null, 'x')),
};
const volumeCreateBody = fc.oneof(
  {
    weight: 8,
    arbitrary: objectOf({
      volume: fc.oneof({ weight: 6, arbitrary: objectOf(volumeFields) }, { weight: 1, arbitrary: anyValue }),
      'OS-SCH-HNT:scheduler_hints': fc.oneof(smallObject, fc.constant(null), scalar),
    }),
  },
  { weight: 1, arbitrary: anyValue },
);
const volumeUpdateBody = objectOf({
  volume: maybe(
    objectOf({
      name: volumeFields.name,
      description: volumeFields.description,
      display_name: volumeFields.display_name,
      display_description: volumeFields.display_description,
      metadata: maybe(metadata),
    }),
  ),
});
const bool = fc.constantFrom<unknown>(true, false, 'true', 'False', 'yes', '1', 'maybe', 1, null);
const volumeTypeBody = objectOf({
  volume_type: maybe(
    objectOf({
      name: maybe(str),
      description: maybe(fc.oneof(str, fc.constant(null))),
      extra_specs: maybe(metadata),
      'os-volume-type-access:is_public': bool,
      is_public: bool,
    }),
  ),
});
const quotaValue = fc.oneof(
  fc.integer({ min: -3, max: 50 }),
  fc.constantFrom<unknown>('5', ' 7 ', '-1', 'x', 1.5, true, null, 2147483648),
);
const quotaSetBody = objectOf({
  quota_set: maybe(
    fc.dictionary(fc.constantFrom('volumes', 'gigabytes', 'groups', 'id', 'bad'), quotaValue, { maxKeys: 3 }),
  ),
});

const CASES: [string, JsonSchema, fc.Arbitrary<unknown>][] = [
  ['createVolume', volumes.createVolume, volumeCreateBody],
  ['createVolumeV313', volumes.createVolumeV313, volumeCreateBody],
  ['createVolumeV347', volumes.createVolumeV347, volumeCreateBody],
  ['createVolumeV353', volumes.createVolumeV353, volumeCreateBody],
  ['updateVolume', volumes.updateVolume, volumeUpdateBody],
  ['updateVolumeV353', volumes.updateVolumeV353, volumeUpdateBody],
  ['createMetadata', volumeMetadata.createMetadata, objectOf({ metadata: maybe(metadata) })],
  [
    'updateMetadataItem',
    volumeMetadata.updateMetadataItem,
    objectOf({
      meta: maybe(
        fc.oneof(
          fc.dictionary(fc.constantFrom('a', 'x:y.z', 'a b'), fc.constantFrom('v', ''), {
            minKeys: 1,
            maxKeys: 1,
          }),
          metadata,
        ),
      ),
    }),
  ],
  ['createVolumeType', volumeTypes.createVolumeType, volumeTypeBody],
  ['updateVolumeType', volumeTypes.updateVolumeType, volumeTypeBody],
  ['createExtraSpecs', volumeTypes.createExtraSpecs, objectOf({ extra_specs: maybe(metadata) })],
  ['updateExtraSpec', volumeTypes.updateExtraSpec, fc.oneof(metadata, anyValue)],
  ['updateQuotaSet', quotaSets.updateQuotaSet, quotaSetBody],
];

const context: ValidationContext = { quotaKeys: new Set(['volumes', 'gigabytes', 'groups']) };

/** true = valid; false = invalid (an error found, or a format raised). */
function verdict(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

describe('ajv and the walker agree', () => {
  for (const [name, schema, body] of CASES) {
    test(name, () => {
      const ajv = compileAjv(schema);
      let valid = 0;
      fc.assert(
        fc.property(body, (b) => {
          const byAjv = verdict(() => ajv.call(context, b));
          const byWalker = verdict(() => firstSchemaError(schema, b, context) === undefined);
          if (byAjv) valid++;
          assert.equal(byAjv, byWalker, `ajv says ${byAjv ? 'valid' : 'invalid'}: ${JSON.stringify(b)}`);
        }),
        { numRuns: 600, seed: name.length * 7919 },
      );
      // NOTE: a property that only ever sees invalid bodies would prove little.
      assert.ok(valid > 10, `${name}: only ${valid} valid bodies generated`);
    });
  }
});
