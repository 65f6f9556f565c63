/**
 * Draft 4 keywords as python-jsonschema 4.14 implements them (Cinder Zed's pinned version),
 * with Cinder's overrides: `minimum`/`maximum` also apply to numeric strings, and the relaxed
 * `additionalProperties`. Messages are python-jsonschema's, values shown with Python `repr()`.
 */
import { pythonRepr } from '../../common/strutils.js';
import { checkFormat } from './formats.js';
import { pySearch } from './python-re.js';
import {
  isObject,
  isPyType,
  numberFromStr,
  pyLen,
  pyLooseEqual,
  pySorted,
  pyTruthy,
  schemaEqual,
  type JsonObject,
  type PyNumber,
} from './python-values.js';
import type { JsonSchema, SchemaError, SchemaWalker } from './types.js';

/** One keyword's check: the errors it yields for `instance`, lazily. */
export type KeywordCheck = (
  w: SchemaWalker,
  value: unknown,
  instance: unknown,
  schema: JsonSchema,
) => Iterable<SchemaError>;

function error(message: string, instance: unknown, cause?: string): SchemaError {
  return cause === undefined ? { message, path: [], instance } : { message, path: [], instance, cause };
}

const repr = pythonRepr;

/** Python `repr()` of what `int()`/`float()` produced (`5.0` stays a float). */
function reprNumber(n: PyNumber): string {
  if (!n.isFloat || typeof n.value === 'bigint' || !Number.isInteger(n.value)) return repr(n.value);
  if (Math.abs(n.value) < 1e16) return `${String(n.value)}.0`;
  const [mantissa = '', exp = '0'] = n.value.toExponential().split('e');
  const e = Number(exp);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Keys of `instance` that neither `properties` nor `patternProperties` cover, in body order. */
function additionalKeys(instance: JsonObject, schema: JsonSchema): string[] {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const patterns = Object.keys(isObject(schema.patternProperties) ? schema.patternProperties : {}).join('|');
  return Object.keys(instance).filter(
    (k) => !Object.hasOwn(properties, k) && !(patterns && pySearch(patterns, k)),
  );
}

function extrasMessage(extras: string[]): string {
  const verb = extras.length === 1 ? 'was' : 'were';
  return `Additional properties are not allowed (${pySorted(extras).map(repr).join(', ')} ${verb} unexpected)`;
}

function* additionalProperties(
  w: SchemaWalker,
  aP: unknown,
  instance: unknown,
  schema: JsonSchema,
): Iterable<SchemaError> {
  if (!isObject(instance)) return;
  if (w.relaxAdditionalProperties) {
    yield* relaxedAdditionalProperties(aP, instance, schema);
    return;
  }
  const extras = additionalKeys(instance, schema);
  if (isObject(aP)) {
    for (const extra of extras) yield* w.descend(instance[extra], aP, extra);
  } else if (aP === false && extras.length > 0) {
    if (Object.hasOwn(schema, 'patternProperties')) {
      const verb = extras.length === 1 ? 'does' : 'do';
      const patterns = pySorted(Object.keys(schema.patternProperties as JsonObject))
        .map(repr)
        .join(', ');
      yield error(
        `${pySorted(extras).map(repr).join(', ')} ${verb} not match any of the regexes: ${patterns}`,
        instance,
      );
    } else {
      yield error(extrasMessage(extras), instance);
    }
  }
}

/** Cinder's `_soft_validate_additional_properties`. */
function* relaxedAdditionalProperties(
  aP: unknown,
  instance: JsonObject,
  schema: JsonSchema,
): Iterable<SchemaError> {
  // NOTE: Cinder tests Python truthiness, so an empty `{}` schema counts as `false` here.
  if (pyTruthy(aP)) return;
  const extras = additionalKeys(instance, schema);
  if (extras.length === 0) return;
  if (isObject(schema.patternProperties) && Object.keys(schema.patternProperties).length > 0) {
    yield error(extrasMessage(extras), instance);
  } else {
    for (const extra of extras) delete instance[extra];
  }
}

function* bound(
  kind: 'minimum' | 'maximum',
  limit: unknown,
  instance: unknown,
  schema: JsonSchema,
): Iterable<SchemaError> {
  const n = numberFromStr(instance);
  if (n === undefined || (typeof limit !== 'number' && typeof limit !== 'bigint')) return;
  const v = n.value;
  const exclusive = pyTruthy(kind === 'minimum' ? schema.exclusiveMinimum : schema.exclusiveMaximum);
  const failed =
    kind === 'minimum' ? (exclusive ? v <= limit : v < limit) : exclusive ? v >= limit : v > limit;
  if (!failed) return;
  const cmp = `${kind === 'minimum' ? 'less' : 'greater'} than${exclusive ? ' or equal to' : ''}`;
  yield error(`${reprNumber(n)} is ${cmp} the ${kind} of ${repr(limit)}`, instance);
}

function* enumCheck(enums: readonly unknown[], instance: unknown): Iterable<SchemaError> {
  let found: boolean;
  if (pyLooseEqual(instance, 0) || pyLooseEqual(instance, 1)) {
    // NOTE: python-jsonschema keeps True/False apart from 1/0 here ("unbool").
    found = enums.some((each) =>
      typeof instance === 'boolean' || typeof each === 'boolean'
        ? each === instance
        : pyLooseEqual(each, instance),
    );
  } else {
    found = enums.some((each) => pyLooseEqual(instance, each));
  }
  if (!found) yield error(`${repr(instance)} is not one of ${repr(enums)}`, instance);
}

function* oneOf(
  w: SchemaWalker,
  subschemas: readonly JsonSchema[],
  instance: unknown,
): Iterable<SchemaError> {
  let firstValid = -1;
  for (const [i, sub] of subschemas.entries()) {
    if ([...w.descend(instance, sub)].length === 0) {
      firstValid = i;
      break;
    }
  }
  if (firstValid < 0) {
    yield error(`${repr(instance)} is not valid under any of the given schemas`, instance);
    return;
  }
  const moreValid = subschemas.slice(firstValid + 1).filter((sub) => w.isValid(instance, sub));
  if (moreValid.length > 0) {
    const reprs = [...moreValid, subschemas[firstValid]].map(repr).join(', ');
    yield error(`${repr(instance)} is valid under each of ${reprs}`, instance);
  }
}

function* anyOf(
  w: SchemaWalker,
  subschemas: readonly JsonSchema[],
  instance: unknown,
): Iterable<SchemaError> {
  for (const sub of subschemas) {
    if ([...w.descend(instance, sub)].length === 0) return;
  }
  yield error(`${repr(instance)} is not valid under any of the given schemas`, instance);
}

function* items(w: SchemaWalker, itemSchema: unknown, instance: unknown): Iterable<SchemaError> {
  if (!Array.isArray(instance)) return;
  if (isObject(itemSchema)) {
    for (const [i, item] of instance.entries()) yield* w.descend(item, itemSchema, i);
  } else if (Array.isArray(itemSchema)) {
    const n = Math.min(instance.length, itemSchema.length);
    for (let i = 0; i < n; i++) yield* w.descend(instance[i], itemSchema[i] as JsonSchema, i);
  }
}

function isUnique(list: readonly unknown[]): boolean {
  return list.every((a, i) => list.slice(i + 1).every((b) => !schemaEqual(a, b)));
}

/** The Draft 4 keywords the walker implements, by name. */
export const KEYWORDS: Readonly<Record<string, KeywordCheck>> = {
  type: function* (_w, value, instance) {
    const types = (Array.isArray(value) ? value : [value]) as string[];
    if (!types.some((t) => isPyType(instance, t))) {
      yield error(`${repr(instance)} is not of type ${types.map(repr).join(', ')}`, instance);
    }
  },
  enum: (_w, value, instance) => enumCheck(value as readonly unknown[], instance),
  properties: function* (w, value, instance) {
    if (!isObject(instance)) return;
    for (const [name, sub] of Object.entries(value as Record<string, JsonSchema>)) {
      if (Object.hasOwn(instance, name)) yield* w.descend(instance[name], sub, name);
    }
  },
  patternProperties: function* (w, value, instance) {
    if (!isObject(instance)) return;
    for (const [pattern, sub] of Object.entries(value as Record<string, JsonSchema>)) {
      for (const [k, v] of Object.entries(instance)) {
        if (pySearch(pattern, k)) yield* w.descend(v, sub, k);
      }
    }
  },
  additionalProperties,
  required: function* (_w, value, instance) {
    if (!isObject(instance)) return;
    for (const name of value as readonly string[]) {
      if (!Object.hasOwn(instance, name)) yield error(`${repr(name)} is a required property`, instance);
    }
  },
  minProperties: function* (_w, value, instance) {
    if (isObject(instance) && Object.keys(instance).length < (value as number)) {
      yield error(`${repr(instance)} does not have enough properties`, instance);
    }
  },
  maxProperties: function* (_w, value, instance) {
    if (isObject(instance) && Object.keys(instance).length > (value as number)) {
      yield error(`${repr(instance)} has too many properties`, instance);
    }
  },
  minLength: function* (_w, value, instance) {
    if (typeof instance === 'string' && pyLen(instance) < (value as number))
      yield error(`${repr(instance)} is too short`, instance);
  },
  maxLength: function* (_w, value, instance) {
    if (typeof instance === 'string' && pyLen(instance) > (value as number))
      yield error(`${repr(instance)} is too long`, instance);
  },
  pattern: function* (_w, value, instance) {
    if (typeof instance === 'string' && !pySearch(value as string, instance)) {
      yield error(`${repr(instance)} does not match ${repr(value)}`, instance);
    }
  },
  format: function* (w, value, instance) {
    const failure = checkFormat(instance, value as string, w.context);
    if (failure) yield error(failure.message, instance, failure.cause);
  },
  minimum: (_w, value, instance, schema) => bound('minimum', value, instance, schema),
  maximum: (_w, value, instance, schema) => bound('maximum', value, instance, schema),
  items: (w, value, instance) => items(w, value, instance),
  minItems: function* (_w, value, instance) {
    if (Array.isArray(instance) && instance.length < (value as number))
      yield error(`${repr(instance)} is too short`, instance);
  },
  maxItems: function* (_w, value, instance) {
    if (Array.isArray(instance) && instance.length > (value as number))
      yield error(`${repr(instance)} is too long`, instance);
  },
  uniqueItems: function* (_w, value, instance) {
    if (pyTruthy(value) && Array.isArray(instance) && !isUnique(instance)) {
      yield error(`${repr(instance)} has non-unique elements`, instance);
    }
  },
  allOf: function* (w, value, instance) {
    for (const sub of value as readonly JsonSchema[]) yield* w.descend(instance, sub);
  },
  anyOf: (w, value, instance) => anyOf(w, value as readonly JsonSchema[], instance),
  oneOf: (w, value, instance) => oneOf(w, value as readonly JsonSchema[], instance),
  not: function* (w, value, instance) {
    if (w.isValid(instance, value as JsonSchema)) {
      yield error(`${repr(instance)} should not be valid under ${repr(value)}`, instance);
    }
  },
};
