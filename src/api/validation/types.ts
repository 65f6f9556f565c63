/**
 * Shared types of the request-body validator (the Cinder `validation` package in TypeScript).
 */

/** A JSON-Schema (Draft 4) object as written in `src/api/schemas/` (`as const` literals fit). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * Per-request facts some format checkers need (Cinder reads them from the DB or config while
 * validating). Only `quota_set` uses one today.
 */
export interface ValidationContext {
  /**
   * Names accepted as keys of a `quota_set` body: Cinder's `QUOTAS` and `GROUP_QUOTAS` resources,
   * including the per-type `volumes_<type>`, `gigabytes_<type>` and `snapshots_<type>` keys.
   * Without it, unknown keys are not reported (only the values are checked).
   */
  readonly quotaKeys?: ReadonlySet<string>;
}

/** Options of {@link compileSchema}. */
export interface CompileOptions {
  /**
   * Cinder's `relax_additional_properties` mode: where a schema says `additionalProperties:
   * false` and has no `patternProperties`, unknown keys are deleted from the body instead of
   * failing it. Off by default, as in Cinder Zed, whose `@validation.schema` never turns it on.
   */
  readonly relaxAdditionalProperties?: boolean;
}

/**
 * Validates a request body in place and returns it, typed as the schema's body `T` (a
 * hand-written interface beside the schema, e.g. `CreateVolumeTypeBody`); throws
 * `ValidationError` (or the error a format raises). Without a type argument the body comes back
 * as `unknown`, for callers that only validate.
 *
 * @example
 * const { volume_type: vt } = validateCreateVolumeType(req.body); // vt: CreateVolumeTypeBody['volume_type']
 */
export type BodyValidator<T = unknown> = (body: unknown, context?: ValidationContext) => T;

/** One error as python-jsonschema yields it (`jsonschema.exceptions.ValidationError`). */
export interface SchemaError {
  /** python-jsonschema's message, e.g. `'x' is a required property`. */
  readonly message: string;
  /** Where in the body the failing value sits, outermost first (python's `error.path`). */
  readonly path: (string | number)[];
  /** The value that failed (python's `error.instance`). */
  readonly instance: unknown;
  /** Set when a format checker raised a cause whose text becomes the whole detail (`InvalidName`). */
  readonly cause?: string;
}

/**
 * What a keyword check needs of the walk (python-jsonschema's validator object): the request's
 * facts, the relaxed mode and the recursive steps. `Walker` in `walker.ts` is the one there is;
 * the keywords see it through this interface, so `keywords.ts` and `walker.ts` do not import
 * each other.
 */
export interface SchemaWalker {
  /** Per-request facts for format checkers. */
  readonly context: ValidationContext;
  /** Cinder's `relax_additional_properties` (unknown keys are deleted, not reported). */
  readonly relaxAdditionalProperties: boolean;
  /** python-jsonschema `iter_errors`: every keyword of `schema`, in its key order. */
  iterErrors(instance: unknown, schema: JsonSchema): Generator<SchemaError>;
  /** python-jsonschema `descend`: errors of a sub-schema, with `path` put in front of theirs. */
  descend(instance: unknown, schema: JsonSchema, path?: string | number): Generator<SchemaError>;
  /** python-jsonschema `is_valid`: stops at the first error. */
  isValid(instance: unknown, schema: JsonSchema): boolean;
}
