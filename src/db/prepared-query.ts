/**
 * Queries built and compiled once, then run with each call's values.
 *
 * kysely builds a tree of frozen nodes and compiles it to SQL at every `execute()`: 10–12 µs a
 * statement on this project's machines, more than SQLite takes to run most of the statements a
 * create or a delete sends. A prepared query is built by its `build` function once per database
 * and shape, with placeholders where the values go; each call then only fills in the compiled
 * statement's parameters. The SQL text is the same at every call, so the statement caches below
 * (better-sqlite3's prepared statements, PostgreSQL's named statements) see one text too.
 *
 * A value that is an array is a list of values (for `IN`), each item bound on its own; every other
 * value is bound as one parameter. `build` may look at which values are present and at each
 * list's length (that is the shape, and each shape is built once) but never at the values
 * themselves, which it only receives as placeholders. Every value a call passes must reach the
 * SQL as a bound parameter: a value the query does not use (pass exactly its values, not a wider
 * object) or one kysely would inline into the text is refused when the shape is first built, so
 * a mistake fails at its first run.
 */
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db } from './api/common.js';

/** Where a call's value goes: `values[name]`, or `values[name][index]` for a list's item. */
class Placeholder {
  constructor(
    readonly name: string,
    readonly index: number,
  ) {}
}

/** A compiled shape and, per parameter, a placeholder to fill in or the constant kysely bound. */
interface Template {
  readonly compiled: CompiledQuery;
  readonly slots: readonly unknown[];
}

/** Shapes kept per query and database; a query with more (long `IN` lists) compiles the rest anew. */
const MAX_SHAPES = 32;

/** The shape of `values`: which are present, which are lists and how long. */
function shapeOf(values: object): string {
  let key = '';
  for (const name in values) {
    const v = (values as Record<string, unknown>)[name];
    key += v === undefined ? `${name}:-,` : Array.isArray(v) ? `${name}:${v.length},` : `${name},`;
  }
  return key;
}

/** Placeholders standing for `values`, in their shape. */
function placeholdersFor<V extends object>(values: V): V {
  const out: Record<string, unknown> = {};
  for (const name in values) {
    const v = (values as Record<string, unknown>)[name];
    if (v === undefined) continue;
    out[name] = Array.isArray(v) ? v.map((_, i) => new Placeholder(name, i)) : new Placeholder(name, -1);
  }
  return out as V;
}

function compileTemplate<V extends object>(
  db: Db,
  build: (db: Db, values: V) => Compilable<unknown>,
  values: V,
): Template {
  const placeholders = placeholdersFor(values);
  const compiled = build(db, placeholders).compile();
  const bound = new Set<unknown>(compiled.parameters.filter((p) => p instanceof Placeholder));
  for (const name in placeholders) {
    const p = (placeholders as Record<string, unknown>)[name];
    for (const one of Array.isArray(p) ? (p as unknown[]) : [p]) {
      if (!bound.has(one))
        throw new Error(`prepared query: value '${name}' is not a bound parameter of: ${compiled.sql}`);
    }
  }
  return { compiled, slots: compiled.parameters };
}

function fill(slots: readonly unknown[], values: object): unknown[] {
  const out = new Array<unknown>(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if (s instanceof Placeholder) {
      const v = (values as Record<string, unknown>)[s.name];
      out[i] = s.index < 0 ? v : (v as readonly unknown[])[s.index];
    } else {
      out[i] = s;
    }
  }
  return out;
}

/** A query `build` describes, run on `db` with `values`: its rows, or for a write its counts. */
export type PreparedQuery<V, R> = (db: Db, values: V) => Promise<QueryResult<R>>;

/** Prepares the query `build` describes (see the module comment for what `build` may do). */
export function preparedQuery<V extends object, R>(
  build: (db: Db, values: V) => Compilable<R>,
): PreparedQuery<V, R> {
  // NOTE: keyed by the database's adapter, which a Kysely instance and all its transactions
  // share, so one compiled text serves each database (and dialect) the process opened.
  const byDatabase = new WeakMap<object, Map<string, Template>>();
  return (db, values) => {
    const adapter = db.getExecutor().adapter;
    let shapes = byDatabase.get(adapter);
    if (shapes === undefined) byDatabase.set(adapter, (shapes = new Map<string, Template>()));
    const shape = shapeOf(values);
    let template = shapes.get(shape);
    if (template === undefined) {
      try {
        template = compileTemplate(db, build, values);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      if (shapes.size < MAX_SHAPES) shapes.set(shape, template);
    }
    const { compiled, slots } = template;
    return db.executeQuery<R>({
      query: compiled.query,
      queryId: compiled.queryId,
      sql: compiled.sql,
      parameters: fill(slots, values),
    });
  };
}

/** One prepared query per key (a table, a column): `build(key)` describes that key's query. */
export function preparedQueries<K, V extends object, R>(
  build: (key: K) => (db: Db, values: V) => Compilable<R>,
): (key: K) => PreparedQuery<V, R> {
  const byKey = new Map<K, PreparedQuery<V, R>>();
  return (key) => {
    let q = byKey.get(key);
    if (q === undefined) byKey.set(key, (q = preparedQuery(build(key))));
    return q;
  };
}
