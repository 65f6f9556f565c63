import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest, InvalidInput, ValidationError } from '../../../src/common/errors.js';
import { compileSchema } from '../../../src/api/validation/validator.js';
import type { JsonSchema } from '../../../src/api/validation/types.js';

/** The error `validate(body)` throws (fails the test when it does not throw). */
function errorOf(schema: JsonSchema, body: unknown, options = {}): Error {
  const validate = compileSchema(schema, options);
  try {
    validate(body);
  } catch (err) {
    return err as Error;
  }
  assert.fail(`expected ${JSON.stringify(body)} to be rejected`);
}

function detail(schema: JsonSchema, body: unknown, options = {}): string {
  const err = errorOf(schema, body, options);
  assert.ok(err instanceof ValidationError, `${err.name}: ${err.message}`);
  return err.message;
}

/** Wrap a field schema as `{field: <schema>}` so messages carry a path. */
const field = (schema: JsonSchema): JsonSchema => ({ type: 'object', properties: { f: schema } });
const prefix = (value: string) => `Invalid input for field/attribute f. Value: ${value}. `;

describe('python-jsonschema wording', () => {
  const cases: [string, JsonSchema, unknown, string][] = [
    ['required', { type: 'object', required: ['x'] }, {}, "'x' is a required property"],
    [
      'one extra key',
      { type: 'object', properties: { a: {} }, additionalProperties: false },
      { a: 1, foo: 2 },
      "Additional properties are not allowed ('foo' was unexpected)",
    ],
    [
      'several extra keys, sorted',
      { type: 'object', additionalProperties: false },
      { b: 1, a: 2 },
      "Additional properties are not allowed ('a', 'b' were unexpected)",
    ],
    ['type', field({ type: 'integer' }), { f: 'abc' }, `${prefix('abc')}'abc' is not of type 'integer'`],
    [
      'type list',
      field({ type: ['string', 'null'] }),
      { f: 1 },
      `${prefix('1')}1 is not of type 'string', 'null'`,
    ],
    ['None', { type: 'object' }, null, "None is not of type 'object'"],
    ['booleans', field({ type: 'string' }), { f: true }, `${prefix('True')}True is not of type 'string'`],
    [
      'minimum',
      field({ type: 'integer', minimum: 1 }),
      { f: 0 },
      `${prefix('0')}0 is less than the minimum of 1`,
    ],
    [
      'maximum',
      field({ maximum: 2147483647 }),
      { f: 3000000000 },
      `${prefix('3000000000')}3000000000 is greater than the maximum of 2147483647`,
    ],
    [
      'exclusiveMinimum',
      field({ minimum: 1, exclusiveMinimum: true }),
      { f: 1 },
      `${prefix('1')}1 is less than or equal to the minimum of 1`,
    ],
    ['minLength', field({ minLength: 1 }), { f: '' }, `${prefix('')}'' is too short`],
    [
      'maxLength counts code points',
      field({ maxLength: 2 }),
      { f: '😀😀😀' },
      `${prefix('😀😀😀')}'😀😀😀' is too long`,
    ],
    [
      'pattern',
      field({ pattern: '^[0-9]+$' }),
      { f: 'abc' },
      `${prefix('abc')}'abc' does not match '^[0-9]+$'`,
    ],
    ['enum', field({ enum: ['a', 'b'] }), { f: 'x' }, `${prefix('x')}'x' is not one of ['a', 'b']`],
    [
      'enum keeps True apart from 1',
      field({ enum: [true] }),
      { f: 1 },
      `${prefix('1')}1 is not one of [True]`,
    ],
    ['format', field({ format: 'uuid' }), { f: 'x' }, `${prefix('x')}'x' is not a 'uuid'`],
    [
      'minProperties',
      field({ minProperties: 1 }),
      { f: {} },
      `${prefix('{}')}{} does not have enough properties`,
    ],
    [
      'maxProperties, whole body',
      { maxProperties: 1 },
      { a: 1, b: null },
      "{'a': 1, 'b': None} has too many properties",
    ],
    [
      'oneOf none',
      field({ oneOf: [{ type: 'null' }, { type: 'string', format: 'uuid' }] }),
      { f: 'x' },
      `${prefix('x')}'x' is not valid under any of the given schemas`,
    ],
    [
      'oneOf several',
      field({ oneOf: [{ type: 'string' }, { maxLength: 3 }] }),
      { f: 'ab' },
      `${prefix('ab')}'ab' is valid under each of {'maxLength': 3}, {'type': 'string'}`,
    ],
    [
      'anyOf',
      field({ anyOf: [{ required: ['a'] }, { required: ['b'] }] }),
      { f: { c: 1 } },
      `${prefix("{'c': 1}")}{'c': 1} is not valid under any of the given schemas`,
    ],
    [
      'allOf',
      field({ allOf: [{ type: 'string' }, { minLength: 2 }] }),
      { f: 'a' },
      `${prefix('a')}'a' is too short`,
    ],
    [
      'not',
      field({ not: { type: 'null' } }),
      { f: null },
      `${prefix('None')}None should not be valid under {'type': 'null'}`,
    ],
    [
      'items path is the index',
      field({ items: { type: 'string' } }),
      { f: ['a', 2] },
      "Invalid input for field/attribute 1. Value: 2. 2 is not of type 'string'",
    ],
    ['minItems', field({ minItems: 1 }), { f: [] }, `${prefix('[]')}[] is too short`],
    ['maxItems', field({ maxItems: 1 }), { f: [1, 'a'] }, `${prefix("[1, 'a']")}[1, 'a'] is too long`],
    [
      'uniqueItems',
      field({ uniqueItems: true }),
      { f: [1, 1] },
      `${prefix('[1, 1]')}[1, 1] has non-unique elements`,
    ],
    [
      'patternProperties miss',
      field({ patternProperties: { '^[a-z]+$': {} }, additionalProperties: false }),
      { f: { 'A B': 1, '1': 2 } },
      `${prefix("{'1': 2, 'A B': 1}")}'1', 'A B' do not match any of the regexes: '^[a-z]+$'`,
    ],
    [
      'quotes like Python repr',
      field({ type: 'integer' }),
      { f: "it's" },
      `${prefix("it's")}"it's" is not of type 'integer'`,
    ],
  ];
  for (const [name, schema, body, expected] of cases) {
    test(name, () => assert.equal(detail(schema, body), expected));
  }
});

describe('order of errors (python-jsonschema walks the schema in key order)', () => {
  const volumeCreate: JsonSchema = {
    type: 'object',
    properties: {
      volume: { type: 'object', properties: { size: { type: ['integer', 'string'], pattern: '^[0-9]+$' } } },
    },
    required: ['volume'],
    additionalProperties: false,
  };

  test('a bad property is reported before an unexpected top-level key', () => {
    assert.equal(
      detail(volumeCreate, { volume: { size: 'x' }, foo: 1 }),
      "Invalid input for field/attribute size. Value: x. 'x' does not match '^[0-9]+$'",
    );
  });

  test('properties are checked in schema order, not body order', () => {
    const schema: JsonSchema = { properties: { a: { type: 'string' }, b: { type: 'string' } } };
    assert.equal(
      detail(schema, { b: 1, a: 2 }),
      "Invalid input for field/attribute a. Value: 2. 2 is not of type 'string'",
    );
  });

  test('keyword order inside one schema decides', () => {
    assert.equal(
      detail(field({ maxLength: 1, pattern: '^a$' }), { f: 'bb' }),
      `${prefix('bb')}'bb' is too long`,
    );
    assert.equal(
      detail(field({ pattern: '^a$', maxLength: 1 }), { f: 'bb' }),
      `${prefix('bb')}'bb' does not match '^a$'`,
    );
  });
});

describe('Cinder: minimum/maximum also apply to numeric strings', () => {
  const size = field({ type: ['integer', 'string'], minimum: 1, maximum: 2147483647 });

  test('digit strings are compared as numbers', () => {
    assert.equal(detail(size, { f: '0' }), `${prefix('0')}0 is less than the minimum of 1`);
    assert.equal(
      detail(size, { f: '3000000000' }),
      `${prefix('3000000000')}3000000000 is greater than the maximum of 2147483647`,
    );
    assert.equal(
      detail(size, { f: '99999999999999999999' }),
      `${prefix('99999999999999999999')}99999999999999999999 is greater than the maximum of 2147483647`,
    );
  });

  test('int() and float() parsing rules: spaces, signs, underscores, decimals', () => {
    assert.equal(detail(size, { f: ' -3 ' }), `${prefix(' -3 ')}-3 is less than the minimum of 1`);
    assert.equal(detail(size, { f: '0.5' }), `${prefix('0.5')}0.5 is less than the minimum of 1`);
    assert.equal(detail(size, { f: '0.0' }), `${prefix('0.0')}0.0 is less than the minimum of 1`);
    assert.equal(
      detail(size, { f: '3_000_000_000' }),
      `${prefix('3_000_000_000')}3000000000 is greater than the maximum of 2147483647`,
    );
    assert.equal(
      detail(size, { f: '1e10' }),
      `${prefix('1e10')}10000000000.0 is greater than the maximum of 2147483647`,
    );
  });

  test('strings that are not numbers pass minimum/maximum', () => {
    const validate = compileSchema(size);
    validate({ f: 'abc' });
    validate({ f: '10' });
    validate({ f: 'nan' });
  });
});

describe('formats', () => {
  test('uuid accepts the oslo variants', () => {
    const validate = compileSchema(field({ format: 'uuid' }));
    const id = 'c0a1b2c3-d4e5-4f60-8a7b-9c8d7e6f5a4b';
    for (const v of [id, id.toUpperCase(), id.replaceAll('-', ''), `{${id}}`, `urn:uuid:${id}`])
      validate({ f: v });
    assert.equal(detail(field({ format: 'uuid' }), { f: 5 }), `${prefix('5')}5 is not a 'uuid'`);
  });

  test('name: the InvalidName cause becomes the whole detail', () => {
    const schema = field({ type: 'string', minLength: 1, format: 'name' });
    assert.equal(
      detail(schema, { f: '  ' }),
      "An invalid 'name' value was provided. The 'name' can not be empty.",
    );
    assert.equal(detail(schema, { f: '' }), `${prefix('')}'' is too short`);
  });

  test('name_skip_leading_trailing_spaces limits the trimmed length', () => {
    const schema = field({ type: 'string', format: 'name_skip_leading_trailing_spaces' });
    compileSchema(schema)({ f: ` ${'a'.repeat(255)} ` });
    assert.equal(
      detail(schema, { f: 'a'.repeat(256) }),
      "An invalid 'name' value was provided. The 'name' can not be greater than 255 characters.",
    );
  });

  test('a raise Cinder did not register escapes as that error', () => {
    const schema = field({ type: ['string', 'null'], format: 'name_non_mandatory_remove_white_spaces' });
    compileSchema(schema)({ f: `   ${'a'.repeat(255)}   ` });
    const err = errorOf(schema, { f: 'a'.repeat(256) });
    assert.ok(err instanceof InvalidInput);
    assert.equal(err.message, 'Invalid input received: name has 256 characters, more than 255.');
  });

  test('availability_zone refuses empty strings with a plain 400', () => {
    const err = errorOf(field({ format: 'availability_zone' }), { f: '' });
    assert.ok(err instanceof BadRequest);
    assert.equal(err.message, "The 'availability_zone' can not be None.");
  });

  test('date-time follows iso8601', () => {
    const validate = compileSchema(field({ format: 'date-time' }));
    for (const v of ['2022-01-01T00:00:00Z', '2022-01-01', '2022', '2022-1-5 10:20', '20220101T102030+0100'])
      validate({ f: v });
    assert.equal(
      detail(field({ format: 'date-time' }), { f: '2022-13-01' }),
      `${prefix('2022-13-01')}'2022-13-01' is not a 'date-time'`,
    );
    assert.equal(
      detail(field({ format: 'date-time' }), { f: '202201' }),
      `${prefix('202201')}'202201' is not a 'date-time'`,
    );
  });
});

describe('additional properties', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: { volume: { type: 'object', properties: { size: {} }, additionalProperties: false } },
    additionalProperties: false,
  };

  test('strict by default, as Cinder Zed validates', () => {
    assert.equal(
      detail(schema, { volume: { size: 1, foo: 2 } }),
      "Invalid input for field/attribute volume. Value: {'size': 1, 'foo': 2}. Additional properties are not allowed ('foo' was unexpected)",
    );
  });

  test('relaxed: unknown keys are removed from the body', () => {
    const body = { volume: { size: 1, foo: 2 }, bar: 3 };
    const returned = compileSchema(schema, { relaxAdditionalProperties: true })(body);
    assert.deepEqual(body, { volume: { size: 1 } });
    assert.equal(returned, body);
  });

  test('relaxed: with patternProperties unknown keys are still errors', () => {
    const withPatterns: JsonSchema = {
      type: 'object',
      patternProperties: { '^[a-z]+$': {} },
      additionalProperties: false,
    };
    assert.equal(
      detail(withPatterns, { ok: 1, 'Not OK': 2 }, { relaxAdditionalProperties: true }),
      "Additional properties are not allowed ('Not OK' was unexpected)",
    );
  });
});

describe('typed bodies', () => {
  test('a valid body comes back as it is, the same object, typed as the schema body', () => {
    interface Body {
      volume: { size: number };
    }
    const validate = compileSchema<Body>({
      type: 'object',
      properties: { volume: { type: 'object', properties: { size: { type: 'integer' } } } },
      required: ['volume'],
    });
    const body: unknown = { volume: { size: 1 } };
    const typed: Body = validate(body);
    assert.equal(typed, body);
    assert.equal(typed.volume.size, 1);
  });
});

describe('Python regular expressions', () => {
  test('$ also matches before a final newline, as in Python', () => {
    compileSchema(field({ pattern: '^[0-9]+$' }))({ f: '12\n' });
    assert.equal(
      detail(field({ pattern: '^[0-9]+$' }), { f: '12\n\n' }),
      `${prefix('12\n\n')}'12\\n\\n' does not match '^[0-9]+$'`,
    );
  });
});

describe('compileSchema refuses what it cannot mirror', () => {
  for (const schema of [
    { const: 1 },
    { format: 'email' },
    { type: 'any' },
    { pattern: '\\d+' },
    { $ref: '#/x' },
  ]) {
    test(JSON.stringify(schema), () =>
      assert.throws(() => compileSchema(schema), /unsupported schema|not supported/),
    );
  }
});

describe('format checkers never crash on values of another type', () => {
  // NOTE: python-jsonschema runs every keyword of a oneOf/anyOf/not branch, so a string format
  // sees numbers there; Cinder's checkers then call `.strip()` on them and answer a 500.
  const formats = [
    'name',
    'name_skip_leading_trailing_spaces',
    'name_non_mandatory_remove_white_spaces',
    'description_non_mandatory_remove_white_spaces',
    'availability_zone',
    'quota_set',
    'uuid',
    'date-time',
  ];
  const values = [1, 1.5, true, false, 0, [], ['x'], {}, { a: 1 }];
  for (const format of formats) {
    test(format, () => {
      const schemas: JsonSchema[] = [
        field({ oneOf: [{ type: 'string', format }, { type: 'null' }] }),
        field({ anyOf: [{ type: 'string', format }, { type: 'null' }] }),
        field({ not: { format } }),
        field({ format }),
      ];
      for (const schema of schemas) {
        for (const value of values) {
          try {
            compileSchema(schema)({ f: value }, { quotaKeys: new Set(['volumes']) });
          } catch (err) {
            assert.ok(
              err instanceof ValidationError || err instanceof BadRequest || err instanceof InvalidInput,
              `${JSON.stringify(schema)} ${JSON.stringify(value)}: ${(err as Error).name}: ${(err as Error).message}`,
            );
          }
        }
      }
    });
  }

  test('a transfer name that is a number is a 400 saying so', () => {
    const schema = field({
      oneOf: [{ type: 'string', format: 'name_skip_leading_trailing_spaces' }, { type: 'null' }],
    });
    assert.equal(detail(schema, { f: 1 }), `${prefix('1')}1 is not valid under any of the given schemas`);
    assert.equal(
      detail(schema, { f: true }),
      `${prefix('True')}True is not valid under any of the given schemas`,
    );
  });
});
