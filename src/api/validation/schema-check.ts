/**
 * Refuse, when a schema is compiled, anything the two engines might read differently: keywords
 * the walker does not implement, unknown type names or formats, and patterns that cannot be run
 * with Python's meaning. Cinder's own schemas use none of these.
 */
import { KNOWN_FORMATS } from './formats.js';
import { KEYWORDS } from './keywords.js';
import { pyRegExp } from './python-re.js';
import { isObject, TYPE_NAMES } from './python-values.js';
import type { JsonSchema } from './types.js';

/** Keywords that only annotate and that both engines ignore. */
const ANNOTATIONS: ReadonlySet<string> = new Set(['title', 'description', 'default', 'examples', '$comment']);
/** Keywords read only together with their sibling (`minimum`/`maximum` in Draft 4). */
const MODIFIERS: ReadonlySet<string> = new Set(['exclusiveMinimum', 'exclusiveMaximum']);

function fail(where: string, why: string): never {
  throw new Error(`unsupported schema at ${where || '#'}: ${why}`);
}

function checkSubschema(value: unknown, where: string): void {
  if (!isObject(value)) fail(where, 'a sub-schema must be an object');
  assertSupportedSchema(value, where);
}

/** Throws when `schema` uses something {@link compileSchema} cannot validate exactly like Cinder. */
export function assertSupportedSchema(schema: JsonSchema, where = ''): void {
  for (const [keyword, value] of Object.entries(schema)) {
    const at = `${where}/${keyword}`;
    if (ANNOTATIONS.has(keyword)) continue;
    if (MODIFIERS.has(keyword)) {
      if (typeof value !== 'boolean') fail(at, 'Draft 4 wants a boolean');
      continue;
    }
    if (!Object.hasOwn(KEYWORDS, keyword)) fail(at, 'keyword not implemented');
    switch (keyword) {
      case 'type':
        for (const t of Array.isArray(value) ? value : [value]) {
          if (typeof t !== 'string' || !TYPE_NAMES.has(t)) fail(at, `unknown type ${String(t)}`);
        }
        break;
      case 'format':
        if (typeof value !== 'string' || !KNOWN_FORMATS.has(value))
          fail(at, `unknown format ${String(value)}`);
        break;
      case 'pattern':
        pyRegExp(value as string);
        break;
      case 'enum':
      case 'required':
        if (!Array.isArray(value)) fail(at, 'must be an array');
        break;
      case 'properties':
      case 'patternProperties':
        if (!isObject(value)) fail(at, 'must be an object');
        for (const [name, sub] of Object.entries(value)) {
          if (keyword === 'patternProperties') pyRegExp(name);
          checkSubschema(sub, `${at}/${name}`);
        }
        break;
      case 'additionalProperties':
        if (typeof value !== 'boolean') checkSubschema(value, at);
        break;
      case 'items':
        if (Array.isArray(value)) value.forEach((sub, i) => checkSubschema(sub, `${at}/${i}`));
        else checkSubschema(value, at);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        if (!Array.isArray(value) || value.length === 0) fail(at, 'must be a non-empty array');
        value.forEach((sub, i) => checkSubschema(sub, `${at}/${i}`));
        break;
      case 'not':
        checkSubschema(value, at);
        break;
      default:
        break;
    }
  }
}
