/**
 * CapabilitiesFilter (volume-create.md §5.6): keeps pools whose reported capabilities satisfy
 * every extra spec of the requested volume type.
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties, SchedulerLogger } from '../types.js';
import { matchExtraSpec } from '../extra-specs-ops.js';
import type { BackendFilter } from './backend-filter.js';

const MISSING = Symbol('missing');

/** Walk `capabilities` along `path` (nested dicts); MISSING when any step is absent. */
function lookup(capabilities: unknown, path: readonly string[]): unknown {
  let cap = capabilities;
  for (const key of path) {
    if (cap === null || typeof cap !== 'object' || Array.isArray(cap) || !Object.hasOwn(cap, key)) {
      return MISSING;
    }
    cap = (cap as Record<string, unknown>)[key];
  }
  return cap;
}

/**
 * Whether `capabilities` satisfy the type's extra specs. Keys are split on `:`; a scope other
 * than `capabilities` (e.g. `provisioning:type`, `RESKEY:availability_zones`) is skipped; an
 * unscoped key or `capabilities:<k>[:<k2>…]` names a (nested) capability that must exist and
 * match. A list capability matches when any element does.
 */
export function satisfiesExtraSpecs(
  capabilities: Readonly<Record<string, unknown>>,
  filterProperties: FilterProperties,
): boolean {
  const spec = filterProperties.request_spec;
  if (spec?.operation === 'extend_volume' && capabilities['online_extend_support'] === false) {
    // NOTE: backends extend online unless they say otherwise; attached volumes need it.
    const attachStatus = spec.volume_properties?.attach_status;
    if (attachStatus !== 'detached') return false;
  }

  const extraSpecs = filterProperties.resource_type?.extra_specs;
  if (!extraSpecs) return true;

  for (const [key, req] of Object.entries(extraSpecs)) {
    const scope = key.split(':');
    if (scope.length > 1 && scope[0] !== 'capabilities') continue;
    if (scope[0] === 'capabilities') scope.shift();

    const cap = lookup(capabilities, scope);
    if (cap === MISSING) return false;
    const candidates = Array.isArray(cap) ? cap : [cap];
    if (!candidates.some((value) => matchExtraSpec(value, req))) return false;
  }
  return true;
}

/** Fails pools that do not provide what the volume type's extra specs ask for. */
export class CapabilitiesFilter implements BackendFilter {
  readonly name = 'CapabilitiesFilter';
  readonly runFilterOncePerRequest = false;
  readonly #log: SchedulerLogger | undefined;

  constructor(logger?: SchedulerLogger) {
    this.#log = logger;
  }

  backendPasses(backend: PoolState, filterProperties: FilterProperties): boolean {
    const ok = satisfiesExtraSpecs(backend.capabilities, filterProperties);
    if (!ok) {
      this.#log?.debug(
        { backend: backend.backend_id },
        'Backend fails resource_type extra_specs requirements.',
      );
    }
    return ok;
  }
}
