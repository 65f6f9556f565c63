/**
 * The weigher contract and Cinder's `OrderedHostWeightHandler`: every weigher's raw weights are
 * normalised to 0..1, multiplied by the weigher's multiplier and summed; highest total first.
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties } from '../types.js';

/** Raw weights of one weigher plus the range to normalise them against. */
export interface WeighResult {
  weights: number[];
  /** Lower end of the range (defaults to the smallest weight). */
  minval: number | null;
  /** Upper end of the range (defaults to the largest weight). */
  maxval: number | null;
}

/** A scheduler weigher: scores pools; higher wins once multiplied. */
export interface BackendWeigher {
  /** Cinder's class name, as listed in `scheduler_default_weighers`. */
  readonly name: string;
  /** Scale of this weigher's normalised weights (negative flips its preference). */
  weightMultiplier(): number;
  /** Raw weights for `backends`, in the same order. */
  weighObjects(backends: readonly PoolState[], weightProperties: FilterProperties): WeighResult;
}

/** Base for weighers that score one pool at a time (Cinder's `BaseWeigher`). */
export abstract class BaseWeigher implements BackendWeigher {
  abstract readonly name: string;

  weightMultiplier(): number {
    return 1.0;
  }

  /** Raw weight of one pool. */
  protected abstract weighObject(backend: PoolState, weightProperties: FilterProperties): number;

  weighObjects(backends: readonly PoolState[], weightProperties: FilterProperties): WeighResult {
    const weights = backends.map((b) => this.weighObject(b, weightProperties));
    if (weights.length === 0) return { weights, minval: null, maxval: null };
    return { weights, minval: Math.min(...weights), maxval: Math.max(...weights) };
  }
}

/**
 * Map weights onto 0..1 against [minval, maxval] (defaults: the list's own min and max).
 * When the range is empty every weight becomes 0.
 */
export function normalize(
  weights: readonly number[],
  minval?: number | null,
  maxval?: number | null,
): number[] {
  if (weights.length === 0) return [];
  const max = maxval ?? Math.max(...weights);
  const min = minval ?? Math.min(...weights);
  if (min === max) return weights.map(() => 0);
  const range = max - min;
  return weights.map((w) => (w - min) / range);
}

/** A pool with its total weight. */
export interface WeighedBackend {
  obj: PoolState;
  weight: number;
}

/**
 * Weigh `backends` with every weigher and sort by total weight, highest first. Ties keep the
 * input order (Python's sort is stable, even reversed).
 */
export function getWeighedObjects(
  weighers: readonly BackendWeigher[],
  backends: readonly PoolState[],
  weightProperties: FilterProperties,
): WeighedBackend[] {
  if (backends.length === 0) return [];
  const weighed: WeighedBackend[] = backends.map((obj) => ({ obj, weight: 0 }));
  for (const weigher of weighers) {
    const { weights, minval, maxval } = weigher.weighObjects(backends, weightProperties);
    const normalized = normalize(weights, minval, maxval);
    const multiplier = weigher.weightMultiplier();
    normalized.forEach((w, i) => {
      weighed[i]!.weight += multiplier * w;
    });
  }
  return weighed.sort((a, b) => b.weight - a.weight);
}
