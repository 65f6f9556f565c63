/**
 * Filter registry: resolves `scheduler_default_filters` class names (Cinder's spelling) to
 * filter instances. An unknown name fails start-up.
 */
import { SchedulerHostFilterNotFound } from '../../common/errors.js';
import type { SchedulerLogger } from '../types.js';
import { AvailabilityZoneFilter } from './availability-zone-filter.js';
import type { BackendFilter } from './backend-filter.js';
import { CapabilitiesFilter } from './capabilities-filter.js';
import { CapacityFilter } from './capacity-filter.js';
import { IgnoreAttemptedHostsFilter } from './ignore-attempted-hosts-filter.js';

export type { BackendFilter, RejectReason } from './backend-filter.js';
export { getFilteredObjects } from './backend-filter.js';
export { AvailabilityZoneFilter, CapabilitiesFilter, CapacityFilter, IgnoreAttemptedHostsFilter };

/** Cinder's default `scheduler_default_filters`. */
export const DEFAULT_FILTERS: readonly string[] = Object.freeze([
  'AvailabilityZoneFilter',
  'CapacityFilter',
  'CapabilitiesFilter',
]);

const FACTORIES: Readonly<Record<string, (logger?: SchedulerLogger) => BackendFilter>> = Object.freeze({
  AvailabilityZoneFilter: () => new AvailabilityZoneFilter(),
  CapacityFilter: (logger) => new CapacityFilter(logger),
  CapabilitiesFilter: (logger) => new CapabilitiesFilter(logger),
  IgnoreAttemptedHostsFilter: () => new IgnoreAttemptedHostsFilter(),
});

/** Names of every filter Kindling knows. */
export function availableFilterNames(): string[] {
  return Object.keys(FACTORIES);
}

/**
 * Filter instances for `names`, in order. Throws `SchedulerHostFilterNotFound` listing every
 * unknown name (comma-separated), as Cinder does.
 */
export function chooseFilters(names: readonly string[], logger?: SchedulerLogger): BackendFilter[] {
  const unknown = names.filter((n) => !Object.hasOwn(FACTORIES, n));
  if (unknown.length > 0) throw new SchedulerHostFilterNotFound(unknown.join(', '));
  return names.map((n) => FACTORIES[n]!(logger));
}
