/**
 * Replays bodies that Cinder Zed's own validator (python-jsonschema 4.14) judged, one per kind
 * of outcome and schema, and expects the very same verdict, error class and text. Cases where
 * Cinder crashed (a `type` key hits a slip in its schemas) were left out of the fixture.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileSchema } from '../../../src/api/validation/validator.js';
import type { BodyValidator, JsonSchema } from '../../../src/api/validation/types.js';
import * as quotaSets from '../../../src/api/schemas/quota-sets.js';
import * as volumeMetadata from '../../../src/api/schemas/volume-metadata.js';
import * as volumeTypes from '../../../src/api/schemas/volume-types.js';
import * as volumes from '../../../src/api/schemas/volumes.js';

interface Case {
  schema: string;
  relax?: boolean;
  body: unknown;
  expect: { ok: true; body: unknown } | { kind: string; message: string };
}

const fixture = JSON.parse(
  readFileSync(new URL('./cinder-reference.fixture.json', import.meta.url), 'utf8'),
) as {
  quotaKeys: string[];
  cases: Case[];
};

const SCHEMAS: Record<string, JsonSchema> = {
  ...volumes,
  ...volumeMetadata,
  ...volumeTypes,
  ...quotaSets,
} as unknown as Record<string, JsonSchema>;
const quotaKeys = new Set(fixture.quotaKeys);
const validators = new Map<string, BodyValidator>();

function validatorFor(c: Case): BodyValidator {
  const key = `${c.schema}:${c.relax === true}`;
  let v = validators.get(key);
  if (!v) {
    const schema = SCHEMAS[c.schema];
    assert.ok(schema, `no schema ${c.schema}`);
    v = compileSchema(schema, { relaxAdditionalProperties: c.relax === true });
    validators.set(key, v);
  }
  return v;
}

/** The description pattern is quoted in full by Cinder; its Unicode tables are older than ours. */
function normalise(message: string): string {
  return message.replace(/does not match '\^\[\\\\ -[\s\S]*\]\*\$'/, 'does not match <description-regex>');
}

describe('same outcome as Cinder for recorded bodies', () => {
  for (const schema of new Set(fixture.cases.map((c) => c.schema))) {
    const cases = fixture.cases.filter((c) => c.schema === schema);
    test(`${schema} (${cases.length} bodies)`, () => {
      assert.ok(cases.length > 5);
      for (const c of cases) {
        const body = structuredClone(c.body);
        let outcome: { ok: true; body: unknown } | { kind: string; message: string };
        try {
          validatorFor(c)(body, { quotaKeys });
          outcome = { ok: true, body };
        } catch (err) {
          outcome = { kind: (err as Error).name, message: normalise((err as Error).message) };
        }
        assert.deepEqual(outcome, c.expect, JSON.stringify(c.body));
      }
    });
  }
});
