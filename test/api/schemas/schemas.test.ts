import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest, InvalidInput, ValidationError } from '../../../src/common/errors.js';
import { APIVersion } from '../../../src/api/microversion.js';
import {
  validateCreateExtraSpecs,
  validateCreateMetadata,
  validateCreateVolumeType,
  validateUpdateExtraSpec,
  validateUpdateMetadataItem,
  validateUpdateQuotaSet,
  validateUpdateVolumeType,
  volumeCreateSchemaFor,
  volumeCreateValidatorFor,
  volumes,
  volumeUpdateValidatorFor,
} from '../../../src/api/schemas/index.js';

const v = (text: string) => APIVersion.parse(text);
const UUID = 'c0a1b2c3-d4e5-4f60-8a7b-9c8d7e6f5a4b';

function rejects(fn: () => void, type: new (...args: never[]) => Error, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof type, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

describe('volume create', () => {
  test('the schema follows the microversion', () => {
    assert.equal(volumeCreateSchemaFor(v('3.0')), volumes.createVolume);
    assert.equal(volumeCreateSchemaFor(v('3.12')), volumes.createVolume);
    assert.equal(volumeCreateSchemaFor(v('3.13')), volumes.createVolumeV313);
    assert.equal(volumeCreateSchemaFor(v('3.46')), volumes.createVolumeV313);
    assert.equal(volumeCreateSchemaFor(v('3.47')), volumes.createVolumeV347);
    assert.equal(volumeCreateSchemaFor(v('3.53')), volumes.createVolumeV353);
    assert.equal(volumeCreateSchemaFor(v('3.70')), volumes.createVolumeV353);
  });

  test('a full, valid body passes untouched', () => {
    const body = {
      volume: {
        name: 'vol',
        description: null,
        size: '10',
        volume_type: 'lvm',
        metadata: { 'a b/c': 'v' },
        snapshot_id: null,
        source_volid: UUID.toUpperCase(),
        availability_zone: 'nova',
        multiattach: 'no',
        imageRef: null,
        group_id: 'g',
        backup_id: `{${UUID}}`,
      },
      'OS-SCH-HNT:scheduler_hints': { same_host: [UUID] },
    };
    const copy = structuredClone(body);
    volumeCreateValidatorFor(v('3.53'))(body);
    assert.deepEqual(body, copy);
  });

  test('unknown keys in volume: ignored before 3.53, refused from 3.53', () => {
    volumeCreateValidatorFor(v('3.52'))({ volume: { size: 1, foo: 'x' } });
    rejects(
      () => volumeCreateValidatorFor(v('3.53'))({ volume: { size: 1, foo: 'x' } }),
      ValidationError,
      "Invalid input for field/attribute volume. Value: {'size': 1, 'foo': 'x'}. Additional properties are not allowed ('foo' was unexpected)",
    );
  });

  test('group_id and backup_id are only known from their microversions', () => {
    volumeCreateValidatorFor(v('3.12'))({ volume: { group_id: 5 } });
    rejects(
      () => volumeCreateValidatorFor(v('3.13'))({ volume: { group_id: 5 } }),
      ValidationError,
      "Invalid input for field/attribute group_id. Value: 5. 5 is not of type 'string', 'null'",
    );
    volumeCreateValidatorFor(v('3.46'))({ volume: { backup_id: 'x' } });
    rejects(
      () => volumeCreateValidatorFor(v('3.47'))({ volume: { backup_id: 'x' } }),
      ValidationError,
      "Invalid input for field/attribute backup_id. Value: x. 'x' is not valid under any of the given schemas",
    );
  });

  test('an unknown top-level key is refused at every microversion', () => {
    rejects(
      () => volumeCreateValidatorFor(v('3.0'))({ volume: {}, foo: 1 }),
      ValidationError,
      "Additional properties are not allowed ('foo' was unexpected)",
    );
  });

  test('size: digit strings are compared as numbers', () => {
    const validate = volumeCreateValidatorFor(v('3.0'));
    validate({ volume: { size: '2147483647' } });
    rejects(
      () => validate({ volume: { size: '0' } }),
      ValidationError,
      'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
    );
    rejects(
      () => validate({ volume: { size: 1.5 } }),
      ValidationError,
      "Invalid input for field/attribute size. Value: 1.5. 1.5 is not of type 'integer', 'string', 'null'",
    );
  });

  test('name longer than 255 once trimmed: Cinder answers with InvalidInput', () => {
    const validate = volumeCreateValidatorFor(v('3.0'));
    validate({ volume: { name: `  ${'n'.repeat(255)}  ` } });
    rejects(
      () => validate({ volume: { display_description: 'd'.repeat(256) } }),
      InvalidInput,
      'Invalid input received: description has 256 characters, more than 255.',
    );
  });

  test('metadata keys must match the key pattern', () => {
    rejects(
      () => volumeCreateValidatorFor(v('3.0'))({ volume: { metadata: { 'a@b': 'x' } } }),
      ValidationError,
      "Invalid input for field/attribute metadata. Value: {'a@b': 'x'}. 'a@b' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'",
    );
  });
});

describe('volume update', () => {
  test('from 3.53 at least one known key', () => {
    volumeUpdateValidatorFor(v('3.52'))({ volume: {} });
    rejects(
      () => volumeUpdateValidatorFor(v('3.53'))({ volume: {} }),
      ValidationError,
      'Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas',
    );
    volumeUpdateValidatorFor(v('3.53'))({ volume: { metadata: {} } });
  });
});

describe('metadata', () => {
  test('create needs metadata', () => {
    validateCreateMetadata({ metadata: { k: 'v' } });
    rejects(() => validateCreateMetadata({}), ValidationError, "'metadata' is a required property");
  });

  test('update of one item needs exactly one key', () => {
    validateUpdateMetadataItem({ meta: { k: 'v' } });
    rejects(
      () => validateUpdateMetadataItem({ meta: { a: '1', b: '2' } }),
      ValidationError,
      "Invalid input for field/attribute meta. Value: {'a': '1', 'b': '2'}. {'a': '1', 'b': '2'} has too many properties",
    );
  });
});

describe('volume types', () => {
  test('create', () => {
    validateCreateVolumeType({
      volume_type: {
        name: 'gold',
        description: 'fast',
        extra_specs: { volume_backend_name: 'lvm' },
        'os-volume-type-access:is_public': 'False',
      },
    });
    // NOTE: Cinder stores a null extra spec; Kindling's rows hold strings, so it is a 400 here.
    rejects(
      () => validateCreateVolumeType({ volume_type: { name: 'gold', extra_specs: { x: null } } }),
      ValidationError,
      "Invalid input for field/attribute x. Value: None. None is not of type 'string'",
    );
    rejects(
      () => validateCreateVolumeType({ volume_type: {} }),
      ValidationError,
      "Invalid input for field/attribute volume_type. Value: {}. 'name' is a required property",
    );
    rejects(
      () => validateCreateVolumeType({ volume_type: { name: ' ' } }),
      ValidationError,
      "An invalid 'name' value was provided. The 'name' can not be empty.",
    );
    rejects(
      () => validateCreateVolumeType({ volume_type: { name: 'x', is_public: true } }),
      ValidationError,
      "Invalid input for field/attribute volume_type. Value: {'name': 'x', 'is_public': True}. Additional properties are not allowed ('is_public' was unexpected)",
    );
  });

  test('description must be printable', () => {
    validateUpdateVolumeType({ volume_type: { description: 'fast disks é 日本' } });
    assert.throws(
      () => validateUpdateVolumeType({ volume_type: { description: 'a\u0007b' } }),
      (err: Error) =>
        err.message.startsWith(
          "Invalid input for field/attribute description. Value: a\u0007b. 'a\\x07b' does not match '^[\\\\ -\\\\~\\xa0-",
        ),
    );
  });

  test('extra specs', () => {
    validateCreateExtraSpecs({ extra_specs: { 'capabilities:x': 'y' } });
    rejects(
      () => validateCreateExtraSpecs({ extra_specs: { 'a b': 'y' } }),
      ValidationError,
      "Invalid input for field/attribute extra_specs. Value: {'a b': 'y'}. 'a b' does not match any of the regexes: '^[a-zA-Z0-9-_:.]{1,255}$'",
    );
    validateUpdateExtraSpec({ k: 'v' });
    rejects(() => validateUpdateExtraSpec({}), ValidationError, '{} does not have enough properties');
  });
});

describe('quota sets', () => {
  const keys = new Set(['volumes', 'gigabytes', 'volumes_lvm', 'groups']);

  test('known keys with integer-like values from -1 pass', () => {
    validateUpdateQuotaSet(
      { quota_set: { volumes: -1, gigabytes: '100', volumes_lvm: ' 3 ', id: 'x' } },
      keys,
    );
  });

  test('bad values and keys', () => {
    rejects(
      () => validateUpdateQuotaSet({ quota_set: { volumes: -2 } }, keys),
      BadRequest,
      'volumes must be >= -1',
    );
    rejects(
      () => validateUpdateQuotaSet({ quota_set: { groups: 2147483648 } }, keys),
      BadRequest,
      'groups must be <= 2147483647',
    );
    rejects(
      () => validateUpdateQuotaSet({ quota_set: { volumes: 'x' } }, keys),
      BadRequest,
      'volumes must be an integer',
    );
    rejects(
      () => validateUpdateQuotaSet({ quota_set: { foo: 1, bar: 1 } }, keys),
      InvalidInput,
      'Invalid input received: Bad key(s) in quota set: foo, bar',
    );
    rejects(
      () => validateUpdateQuotaSet({ quota_set: {} }, keys),
      ValidationError,
      'Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties',
    );
  });
});
