/**
 * Weigher registry: resolves `scheduler_default_weighers` class names (Cinder's spelling) to
 * weigher instances. An unknown name fails start-up.
 */
import { SchedulerHostWeigherNotFound } from '../../common/errors.js';
import { AllocatedCapacityWeigher } from './allocated-capacity-weigher.js';
import type { BackendWeigher } from './backend-weigher.js';
import { CapacityWeigher } from './capacity-weigher.js';
import { ChanceWeigher } from './chance-weigher.js';

export type { BackendWeigher, WeighedBackend, WeighResult } from './backend-weigher.js';
export { BaseWeigher, getWeighedObjects, normalize } from './backend-weigher.js';
export { AllocatedCapacityWeigher, CapacityWeigher, ChanceWeigher };

/** Cinder's default `scheduler_default_weighers`. */
export const DEFAULT_WEIGHERS: readonly string[] = Object.freeze(['CapacityWeigher']);

/** Options the weighers read (cinder.conf names). */
export interface WeigherOptions {
  /** Default 1.0 (spread). */
  capacity_weight_multiplier: number;
  /** Default -1.0 (least allocated first). */
  allocated_capacity_weight_multiplier: number;
  /** Randomness for ChanceWeigher (default Math.random). */
  random?: () => number;
}

const FACTORIES: Readonly<Record<string, (o: WeigherOptions) => BackendWeigher>> = Object.freeze({
  CapacityWeigher: (o) => new CapacityWeigher(o.capacity_weight_multiplier),
  AllocatedCapacityWeigher: (o) => new AllocatedCapacityWeigher(o.allocated_capacity_weight_multiplier),
  ChanceWeigher: (o) => new ChanceWeigher(o.random),
});

/** Names of every weigher Kindling knows. */
export function availableWeigherNames(): string[] {
  return Object.keys(FACTORIES);
}

/**
 * Fresh weigher instances for `names`, in order. Throws `SchedulerHostWeigherNotFound` listing
 * every unknown name (comma-separated).
 */
export function chooseWeighers(names: readonly string[], options: WeigherOptions): BackendWeigher[] {
  const unknown = names.filter((n) => !Object.hasOwn(FACTORIES, n));
  if (unknown.length > 0) throw new SchedulerHostWeigherNotFound(unknown.join(', '));
  return names.map((n) => FACTORIES[n]!(options));
}
