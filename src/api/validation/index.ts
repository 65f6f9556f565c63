/**
 * Request-body validation with Cinder's wording. Most callers need only {@link compileSchema}
 * (or the precompiled validators in `src/api/schemas/index.ts`).
 */
export { compileSchema, cinderDetail } from './validator.js';
export { firstSchemaError } from './walker.js';
export type { BodyValidator, CompileOptions, JsonSchema, SchemaError, ValidationContext } from './types.js';
