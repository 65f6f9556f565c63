/**
 * What the manage family shares between the API and the volume services: Cinder's
 * `paginate_entries_list` for the manageable lists, and the names of Kindling's own objects.
 */
import { InvalidInput } from '../common/errors.js';
import { pythonRepr } from '../common/strutils.js';

/** An entry of a manageable list (volume or snapshot): sorted by `reference` or `size`. */
export interface ManageableEntry {
  reference: Record<string, unknown>;
  size: number | null;
  [key: string]: unknown;
}

/** The first of a reference's values, sorted (Cinder compares references so). */
function sortValue(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const values = Object.values(v as Record<string, unknown>).map((x) => String(x));
    return values.sort()[0] ?? '';
  }
  return v;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

function sameReference(a: unknown, b: unknown): boolean {
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return (
    ka.length === kb.length &&
    ka.every((k, i) => k === kb[i] && (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
  );
}

/**
 * Cinder's `volume_utils.paginate_entries_list`: sorted by the keys (each `asc` or `desc`), then
 * from just after `marker` (a reference, as JSON text) skipping `offset`, at most `limit` entries.
 * A marker that is not JSON or names no entry is `InvalidInput`.
 */
export function paginateEntries<T extends ManageableEntry>(
  entries: readonly T[],
  marker: string | null,
  limit: number,
  offset: number | null,
  sortKeys: readonly string[],
  sortDirs: readonly string[],
): T[] {
  const sorted = [...entries].sort((l, r) => {
    for (let i = 0; i < sortKeys.length; i++) {
      const key = sortKeys[i]!.trim();
      const c = compare(sortValue(l[key]), sortValue(r[key]));
      if (c !== 0) return sortDirs[i] === 'asc' ? c : -c;
    }
    return 0;
  });
  let start = 0;
  if (marker) {
    let ref: unknown;
    try {
      ref = JSON.parse(marker);
    } catch {
      throw new InvalidInput(`marker ${marker} can not be analysed, please use json like format`);
    }
    start = sorted.findIndex((e) => sameReference(e.reference, ref)) + 1;
    if (start === 0) throw new InvalidInput(`marker not found: ${pythonRepr(ref)}`);
  }
  const from = start + (offset ?? 0);
  return sorted.slice(from, start + limit + (offset ?? 0));
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The Kindling volume or snapshot whose backing object a reference names, if it names one by
 * Kindling's naming (`volume-<uuid>`, `snapshot-<uuid>`; a file driver's absolute path too; a
 * `source-id` is a volume's id): Cinder's `extract_id_from_volume_name`, for both kinds.
 */
export function ownObjectOf(ref: unknown): { kind: 'volume' | 'snapshot'; id: string } | null {
  if (typeof ref === 'string') ref = { 'source-name': ref };
  if (!ref || typeof ref !== 'object' || Array.isArray(ref)) return null;
  const r = ref as Record<string, unknown>;
  if (typeof r['source-name'] === 'string') {
    const base = r['source-name'].split('/').pop() ?? '';
    for (const kind of ['volume', 'snapshot'] as const) {
      const id = base.startsWith(`${kind}-`) ? base.slice(kind.length + 1) : null;
      if (id && UUID_RE.test(id)) return { kind, id };
    }
    return null;
  }
  if (typeof r['source-id'] === 'string' && UUID_RE.test(r['source-id']))
    return { kind: 'volume', id: r['source-id'] };
  return null;
}
