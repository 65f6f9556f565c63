/**
 * The fast path: ajv compiles a copy of the schema and only answers "valid or not". Keywords
 * whose Python meaning ajv does not share are handed to the walker's own implementation as
 * custom keywords: `format` (Cinder's checkers run on any type), `minimum`/`maximum` (also on
 * numeric strings), `enum` and `uniqueItems` (Python equality). Patterns run through
 * {@link pyRegExpEngine}.
 */
import { Ajv, type AnySchemaObject } from 'ajv';
import { KEYWORDS } from './keywords.js';
import { pyRegExpEngine } from './python-re.js';
import { isObject } from './python-values.js';
import type { JsonSchema, ValidationContext } from './types.js';
import { Walker } from './walker.js';

/** Keywords delegated to the walker, and the custom ajv keyword each becomes. */
const DELEGATED: Readonly<Record<string, string>> = {
  format: 'cinderFormat',
  minimum: 'cinderMinimum',
  maximum: 'cinderMaximum',
  enum: 'cinderEnum',
  uniqueItems: 'cinderUniqueItems',
};

/** What a delegated keyword carries: its value and the schema object it sits in. */
interface Delegated {
  readonly value: unknown;
  readonly schema: JsonSchema;
}

/** A compiled ajv check; call it with the validation context as `this`. */
export type AjvCheck = (this: ValidationContext, body: unknown) => boolean;

function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    strict: false,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    ownProperties: true,
    passContext: true,
    validateSchema: false,
    code: { regExp: pyRegExpEngine },
  });
  for (const [keyword, ajvKeyword] of Object.entries(DELEGATED)) {
    const check = KEYWORDS[keyword];
    if (!check) throw new Error(`no walker keyword ${keyword}`);
    ajv.addKeyword({
      keyword: ajvKeyword,
      errors: false,
      validate(this: ValidationContext | undefined, spec: Delegated, data: unknown): boolean {
        const walker = new Walker(this ?? {}, false);
        return check(walker, spec.value, data, spec.schema)[Symbol.iterator]().next().done === true;
      },
    });
  }
  return ajv;
}

let shared: Ajv | undefined;

function mapSchemas(value: unknown, fn: (s: JsonSchema) => JsonSchema): unknown {
  if (Array.isArray(value)) return value.map((s) => fn(s as JsonSchema));
  return isObject(value) ? fn(value) : value;
}

/** The copy of `schema` ajv compiles (delegated keywords renamed, sub-schemas converted). */
export function toAjvSchema(schema: JsonSchema): AnySchemaObject {
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    const delegated = DELEGATED[keyword];
    if (delegated) {
      out[delegated] = { value, schema } satisfies Delegated;
    } else if (keyword === 'properties' || keyword === 'patternProperties') {
      out[keyword] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, s]) => [k, toAjvSchema(s)]),
      );
    } else if (['additionalProperties', 'items', 'allOf', 'anyOf', 'oneOf', 'not'].includes(keyword)) {
      out[keyword] = mapSchemas(value, toAjvSchema);
    } else if (keyword !== 'exclusiveMinimum' && keyword !== 'exclusiveMaximum') {
      out[keyword] = value;
    }
  }
  return out;
}

/** Compile `schema` with the shared ajv instance (one instance for all schemas). */
export function compileAjv(schema: JsonSchema): AjvCheck {
  shared ??= createAjv();
  const validate = shared.compile(toAjvSchema(schema));
  return function (this: ValidationContext, body: unknown): boolean {
    return validate.call(this, body) === true;
  };
}
