/**
 * The types an option table is written in (oslo.config's `Opt`): what `options.ts` and the
 * per-driver tables (`rbd-options.ts`, `target-options.ts`, `raw-read-options.ts`) and the
 * resolver share. Kept apart from the tables so that the tables and the resolver do not import
 * each other.
 */

/** oslo.config option types. */
export type OptionType = 'str' | 'int' | 'float' | 'bool' | 'list' | 'multistr';

/** What a derived default may look at. */
export interface DefaultContext {
  /** The section being resolved, as named in `enabled_backends` for backend sections. */
  readonly section: string;
  /** Names from `enabled_backends`. */
  readonly backendNames: readonly string[];
  /** A resolved option of another section (`get('DEFAULT', 'state_path')`). */
  get(section: string, name: string): unknown;
}

/** One option. `T` is the TypeScript type of its value. */
export interface OptionDef<T> {
  readonly type: OptionType;
  /** A value, or a function of other options (computed after every override). */
  readonly default: T | ((ctx: DefaultContext) => T);
  readonly help: string;
  /** Allowed values (str options). */
  readonly choices?: readonly string[];
  /** A pattern the whole value must match (str options). */
  readonly regex?: RegExp;
  /** Bounds (int options). */
  readonly min?: number;
  readonly max?: number;
}

/** The value type of an option definition. */
export type OptionValue<O> = O extends OptionDef<infer T> ? T : never;
/** The typed, read-only section built from an option table. */
export type SectionOf<Table> = { readonly [K in keyof Table]: OptionValue<Table[K]> };
