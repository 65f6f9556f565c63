/**
 * Request-body validation with Cinder's exact error text (`cinder/api/validation`): ajv decides
 * valid/invalid fast; only a failing body is walked again in python-jsonschema's order to find
 * the error Cinder would report, worded as Cinder words it.
 */
import { ValidationError } from '../../common/errors.js';
import { pythonStr } from '../../common/strutils.js';
import { compileAjv, type AjvCheck } from './ajv-engine.js';
import { assertSupportedSchema } from './schema-check.js';
import type { BodyValidator, CompileOptions, JsonSchema, SchemaError, ValidationContext } from './types.js';
import { firstSchemaError } from './walker.js';

/**
 * The 400 detail Cinder builds from a schema error: the cause's text when a format raised one,
 * else `Invalid input for field/attribute <last path element>. Value: <str(value)>. <message>`,
 * or the bare message when the error is about the whole body.
 */
export function cinderDetail(error: SchemaError): string {
  if (error.cause !== undefined) return error.cause;
  const field = error.path.at(-1);
  if (field === undefined) return error.message;
  return `Invalid input for field/attribute ${String(field)}. Value: ${pythonStr(error.instance)}. ${error.message}`;
}

/**
 * Compile `schema` once; the returned function validates a body and throws `ValidationError`
 * with Cinder's detail (or, like Cinder, the `InvalidInput`/`BadRequest` a format checker
 * raises). With `relaxAdditionalProperties`, unknown keys are deleted from the body instead.
 * A valid body is returned as it is (the same object), typed as `T`: the body type written
 * beside the schema, which the caller vouches matches it (nothing checks that at compile time).
 *
 * @example
 * const validate = compileSchema<CreateVolumeTypeBody>(volumeTypes.createVolumeType);
 * const body = validate(req.body); // throws ValidationError('Invalid input for field/attribute name. …')
 */
export function compileSchema<T = unknown>(
  schema: JsonSchema,
  options: CompileOptions = {},
): BodyValidator<T> {
  assertSupportedSchema(schema);
  if (options.relaxAdditionalProperties === true) {
    // NOTE: deletions happen as the walk meets them, exactly as in Cinder; ajv cannot mirror
    // that order, so this mode always takes the walker's path.
    return (body, context = {}) => {
      const error = firstSchemaError(schema, body, context, true);
      if (error) throw new ValidationError(cinderDetail(error));
      return body as T;
    };
  }
  // NOTE: ajv compiles on the first body, not here: compiling every route's schema up front was a
  // fifth of `kindling serve`'s start-up (docs/performance.md).
  let ajvCheck: AjvCheck | undefined;
  return (body: unknown, context: ValidationContext = {}) => {
    ajvCheck ??= compileAjv(schema);
    let valid: boolean;
    try {
      valid = ajvCheck.call(context, body);
    } catch {
      // NOTE: a format checker raised; the walker repeats the walk and raises at the right point.
      valid = false;
    }
    // NOTE: the one cast of a request body: the schema has just accepted it as a `T`.
    if (valid) return body as T;
    const error = firstSchemaError(schema, body, context, false);
    if (error) throw new ValidationError(cinderDetail(error));
    // NOTE: unreachable while ajv and the walker agree (see the property test); fail closed.
    throw new ValidationError('Invalid input received: request body failed schema validation.');
  };
}
