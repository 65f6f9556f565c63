/**
 * Resolves options from layered sources (files in order, then environment overrides) into typed
 * values: oslo's lookup order, `$option` substitution in file values, type conversion and
 * derived defaults computed from the final values of the options they depend on.
 */
import { ConfigError } from '../common/errors.js';
import { pythonRepr } from '../common/strutils.js';
import type { DefaultContext, OptionDef } from './option-types.js';

/** Values from one source, with section names normalised (see {@link normalizeSection}). */
export interface ConfigLayer {
  /** File path or `environment`, for error messages. */
  readonly source: string;
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** File values get oslo's `$name` substitution; environment values are taken literally. */
  readonly substitute: boolean;
}

/** oslo normalises group names: `DEFAULT` stays, every other section is lower-cased. */
export function normalizeSection(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase();
}

const TRUE_VALUES = ['true', '1', 'on', 'yes'];
const FALSE_VALUES = ['false', '0', 'off', 'no'];
/** What Python's float() accepts (bar exotic Unicode digits). */
const FLOAT = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:e[+-]?\d+(?:_\d+)*)?$/i;
const SPECIAL_FLOAT = /^[+-]?(?:inf|infinity|nan)$/i;

/** Option lookup over layers; `tables` says which options exist in which (kind of) section. */
export class OptionResolver {
  readonly #cache = new Map<string, unknown>();
  readonly #resolving = new Set<string>();

  constructor(
    private readonly layers: readonly ConfigLayer[],
    private readonly tableOf: (section: string) => Readonly<Record<string, OptionDef<unknown>>> | undefined,
    private readonly fallbackSectionOf: (section: string) => string | undefined,
    private readonly backendNames: () => readonly string[],
  ) {}

  /** The typed value of `section.name` (section as written in `enabled_backends` for backends). */
  get(section: string, name: string): unknown {
    const cacheKey = `${section}\0${name}`;
    if (this.#cache.has(cacheKey)) return this.#cache.get(cacheKey);
    const option = this.tableOf(section)?.[name];
    if (!option) throw new ConfigError(`No such option ${name} in group [${section}]`);
    if (this.#resolving.has(cacheKey)) {
      throw new ConfigError(`Option ${name} in group [${section}] refers to itself through substitution`);
    }
    this.#resolving.add(cacheKey);
    try {
      const value = this.#resolve(section, name, option);
      this.#cache.set(cacheKey, value);
      return value;
    } finally {
      this.#resolving.delete(cacheKey);
    }
  }

  /** Every key of a section with its effective raw value (newest source, last occurrence). */
  raw(section: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const layer of this.layers) {
      for (const [key, values] of layer.sections.get(normalizeSection(section)) ?? []) {
        const last = values.at(-1);
        if (last !== undefined) out[key] = last;
      }
    }
    return out;
  }

  #resolve(section: string, name: string, option: OptionDef<unknown>): unknown {
    const found = this.#lookup(section, name, option.type === 'multistr');
    const fallback = this.fallbackSectionOf(section);
    const fromFallback =
      found ?? (fallback ? this.#lookup(fallback, name, option.type === 'multistr') : undefined);
    if (!fromFallback) return this.#default(section, option);
    const texts = fromFallback.map(({ text, substitute }) =>
      substitute ? this.#substitute(section, text) : text,
    );
    return this.#convert(section, name, option, texts);
  }

  /** Newest layer wins; multi-valued options gather the values of every file (oldest first). */
  #lookup(
    section: string,
    name: string,
    multi: boolean,
  ): { text: string; substitute: boolean }[] | undefined {
    let gathered: { text: string; substitute: boolean }[] | undefined;
    for (const layer of [...this.layers].reverse()) {
      const values = layer.sections.get(normalizeSection(section))?.get(name);
      if (!values || values.length === 0) continue;
      const entries = values.map((text) => ({ text, substitute: layer.substitute }));
      if (!multi) return entries.slice(-1);
      gathered = [...entries, ...(gathered ?? [])];
      if (!layer.substitute) break; // NOTE: an environment override replaces, not appends
    }
    return gathered;
  }

  #default(section: string, option: OptionDef<unknown>): unknown {
    if (typeof option.default !== 'function') return option.default;
    const ctx: DefaultContext = {
      section,
      backendNames: this.backendNames(),
      get: (s, n) => this.get(s, n),
    };
    return (option.default as (c: DefaultContext) => unknown)(ctx);
  }

  /** oslo's string.Template substitution: `$name`, `${name}`, `${group.name}`; `$$`/`\$` → `$`. */
  #substitute(section: string, text: string): string {
    const escaped = text.replaceAll('\\$', '$$$$');
    return escaped.replace(
      /\$(?:(\$)|\{([_a-z][._a-z0-9]*)\}|([_a-z][._a-z0-9]*))/gi,
      (match, dollar, braced, bare) => {
        if (dollar) return '$';
        const ref = String(braced ?? bare);
        const dot = ref.indexOf('.');
        const [refSection, refName] = dot < 0 ? [undefined, ref] : [ref.slice(0, dot), ref.slice(dot + 1)];
        const candidates = refSection ? [refSection] : [section, 'DEFAULT'];
        for (const s of candidates) {
          if (this.tableOf(s)?.[refName] === undefined) continue;
          const value = this.get(s, refName);
          if (value === null) return '';
          if (Array.isArray(value)) return value.join(',');
          return typeof value === 'string' ? value : JSON.stringify(value);
        }
        return match; // NOTE: unknown names are left alone (Template.safe_substitute)
      },
    );
  }

  #convert(section: string, name: string, option: OptionDef<unknown>, texts: string[]): unknown {
    const bad = (text: string, why: string): never => {
      throw new ConfigError(
        `Invalid value for option ${name} in group [${section}]: ${pythonRepr(text)} (${why})`,
      );
    };
    if (option.type === 'multistr') return texts;
    const text = texts.at(-1) ?? '';
    const trimmed = text.trim();
    switch (option.type) {
      case 'str':
        if (option.choices && !option.choices.includes(text))
          bad(text, `valid values are ${option.choices.join(', ')}`);
        if (option.regex && !option.regex.test(text)) bad(text, `must match ${String(option.regex)}`);
        return text;
      case 'int': {
        // NOTE: oslo turns an empty int into None; a typed config keeps the default instead.
        if (trimmed === '') return this.#default(section, option);
        if (!/^[+-]?\d+(?:_\d+)*$/.test(trimmed)) bad(text, 'expected an integer');
        const n = Number(trimmed.replaceAll('_', ''));
        if (option.min !== undefined && n < option.min) bad(text, `should be >= ${option.min}`);
        if (option.max !== undefined && n > option.max) bad(text, `should be <= ${option.max}`);
        return n;
      }
      case 'float': {
        if (trimmed === '') return this.#default(section, option);
        if (SPECIAL_FLOAT.test(trimmed)) {
          const lower = trimmed.toLowerCase();
          if (lower.endsWith('nan')) return NaN;
          return lower.startsWith('-') ? -Infinity : Infinity;
        }
        if (!FLOAT.test(trimmed)) bad(text, 'expected a float');
        return Number(trimmed.replaceAll('_', ''));
      }
      case 'bool': {
        const lower = trimmed.toLowerCase();
        if (TRUE_VALUES.includes(lower)) return true;
        if (FALSE_VALUES.includes(lower)) return false;
        return bad(text, 'expected true/false, 1/0, yes/no or on/off');
      }
      case 'list':
        return trimmed
          .replace(/,+$/, '')
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '');
    }
  }
}
