/**
 * A lazy walk of a schema over a body in python-jsonschema's order (Draft4Validator as Cinder
 * extends it): keywords in the schema's own key order, `properties` in schema order, errors
 * yielded one by one. The first one is what Cinder reports; see {@link firstSchemaError}.
 */
import { KEYWORDS } from './keywords.js';
import type { JsonSchema, SchemaError, SchemaWalker, ValidationContext } from './types.js';

/** The walking state python-jsonschema keeps in its validator object. */
export class Walker implements SchemaWalker {
  constructor(
    /** Per-request facts for format checkers. */
    readonly context: ValidationContext,
    /** Cinder's `relax_additional_properties` (unknown keys are deleted, not reported). */
    readonly relaxAdditionalProperties: boolean,
  ) {}

  /** python-jsonschema `iter_errors`: every keyword of `schema`, in its key order. */
  *iterErrors(instance: unknown, schema: JsonSchema): Generator<SchemaError> {
    for (const [keyword, value] of Object.entries(schema)) {
      const check = KEYWORDS[keyword];
      if (check) yield* check(this, value, instance, schema);
    }
  }

  /** python-jsonschema `descend`: errors of a sub-schema, with `path` put in front of theirs. */
  *descend(instance: unknown, schema: JsonSchema, path?: string | number): Generator<SchemaError> {
    for (const error of this.iterErrors(instance, schema)) {
      if (path !== undefined) error.path.unshift(path);
      yield error;
    }
  }

  /** python-jsonschema `is_valid`: stops at the first error. */
  isValid(instance: unknown, schema: JsonSchema): boolean {
    return this.iterErrors(instance, schema).next().done === true;
  }
}

/**
 * The first error python-jsonschema's `validate()` would raise for `body`, or undefined when the
 * body is valid. In relaxed mode unknown keys are deleted from `body` as the walk meets them.
 * Errors thrown by format checkers escape, as they escape Cinder's validator.
 */
export function firstSchemaError(
  schema: JsonSchema,
  body: unknown,
  context: ValidationContext = {},
  relaxAdditionalProperties = false,
): SchemaError | undefined {
  const walker = new Walker(context, relaxAdditionalProperties);
  const next = walker.iterErrors(body, schema).next();
  return next.done === true ? undefined : next.value;
}
