/**
 * CapabilitiesFilter (Cinder's `scheduler/filters/capabilities_filter.py`): keeps pools whose reported capabilities satisfy
 * every extra spec of the requested volume type.
 */
import type { PoolState } from '../pool-state.js';
import type { FilterProperties, SchedulerLogger } from '../types.js';
import { matchExtraSpec } from '../extra-specs-ops.js';
import type { BackendFilter, RejectReason } from './backend-filter.js';

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
  return unmetExtraSpec(capabilities, filterProperties) === null;
}

/** A capability value as a reason text shows it. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Why `capabilities` fail the request (see `satisfiesExtraSpecs`), or null when they do not. */
export function unmetExtraSpec(
  capabilities: Readonly<Record<string, unknown>>,
  filterProperties: FilterProperties,
): string | null {
  const spec = filterProperties.request_spec;
  if (spec?.operation === 'extend_volume' && capabilities['online_extend_support'] === false) {
    // NOTE: backends extend online unless they say otherwise; attached volumes need it.
    const attachStatus = spec.volume_properties?.attach_status;
    if (attachStatus !== 'detached') return "backend doesn't support attached volume extend";
  }

  const extraSpecs = filterProperties.resource_type?.extra_specs;
  if (!extraSpecs) return null;

  for (const [key, req] of Object.entries(extraSpecs)) {
    const scope = key.split(':');
    if (scope.length > 1 && scope[0] !== 'capabilities') continue;
    if (scope[0] === 'capabilities') scope.shift();

    const cap = lookup(capabilities, scope);
    if (cap === MISSING)
      return `backend doesn't provide capability '${scope.join(':')}' (extra spec ${key}=${shown(req)})`;
    const candidates = Array.isArray(cap) ? cap : [cap];
    if (!candidates.some((value) => matchExtraSpec(value, req)))
      return `capability '${scope.join(':')}' is ${shown(cap)}, extra spec ${key} asks ${shown(req)}`;
  }
  return null;
}

/** Fails pools that do not provide what the volume type's extra specs ask for. */
export class CapabilitiesFilter implements BackendFilter {
  readonly name = 'CapabilitiesFilter';
  readonly runFilterOncePerRequest = false;
  readonly #log: SchedulerLogger | undefined;

  constructor(logger?: SchedulerLogger) {
    this.#log = logger;
  }

  backendPasses(backend: PoolState, filterProperties: FilterProperties, reject?: RejectReason): boolean {
    const unmet = unmetExtraSpec(backend.capabilities, filterProperties);
    if (unmet === null) return true;
    this.#log?.debug(
      { backend: backend.backend_id, reason: unmet },
      'Backend fails resource_type extra_specs requirements.',
    );
    reject?.(unmet);
    return false;
  }
}
