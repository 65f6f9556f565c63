/**
 * Driver fault injection for tests. A test running Kindling in its own process wraps the drivers
 * itself (embedded-kindling.ts's driver factory); for a volume process it spawns, it sets
 * `KINDLING_TEST_DRIVER_FAULTS` to JSON keyed by backend name (`*` for every backend), e.g.
 * `{"alpha": {"createVolumeError": "backend exploded"}, "*": {"capacityGb": 6}}`, and
 * fault-preload.ts, loaded into that process, wraps each backend's driver with the faults named
 * for it. Unset, drivers are returned untouched.
 */
import type { VolumeDriver, VolumeStats } from '../../src/volume/driver.js';

export const DRIVER_FAULTS_ENV = 'KINDLING_TEST_DRIVER_FAULTS';

/** What to break or fake in one backend's driver. */
export interface DriverFaults {
  /** `createVolume` throws an Error with this message, as a broken array would. */
  readonly createVolumeError?: string;
  /** Every pool reports this total and free capacity in GiB (a small backend). */
  readonly capacityGb?: number;
  /** `createVolume` waits this long first (a slow array: creates are in flight longer). */
  readonly createVolumeDelayMs?: number;
}

/** Faults per backend name; `*` applies to backends without an entry of their own. */
export type DriverFaultSpec = Readonly<Record<string, DriverFaults>>;

/** Parses the env value; a malformed one throws, so a typo cannot silently disable a test's faults. */
export function parseDriverFaults(text: string | undefined): DriverFaultSpec {
  if (!text?.trim()) return {};
  const spec: unknown = JSON.parse(text);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new Error(`${DRIVER_FAULTS_ENV} must be a JSON object keyed by backend name`);
  const known = ['createVolumeError', 'capacityGb', 'createVolumeDelayMs'];
  for (const [backend, faults] of Object.entries(spec as Record<string, unknown>)) {
    const ok =
      typeof faults === 'object' && faults !== null && Object.keys(faults).every((k) => known.includes(k));
    if (!ok) throw new Error(`${DRIVER_FAULTS_ENV}: bad faults for ${backend}: ${JSON.stringify(faults)}`);
  }
  return spec as DriverFaultSpec;
}

/** The faults `spec` names for `backend`, if any. */
export function faultsFor(spec: DriverFaultSpec, backend: string): DriverFaults | undefined {
  return spec[backend] ?? spec['*'];
}

/** `driver` with `faults` applied; every other method goes to the real driver. */
export function withDriverFaults(driver: VolumeDriver, faults: DriverFaults | undefined): VolumeDriver {
  if (!faults) return driver;
  const overrides: Partial<VolumeDriver> = {};
  if (faults.createVolumeError !== undefined) {
    const message = faults.createVolumeError;
    overrides.createVolume = () => Promise.reject(new Error(message));
  }
  if (faults.createVolumeDelayMs !== undefined && faults.createVolumeError === undefined) {
    const ms = faults.createVolumeDelayMs;
    overrides.createVolume = async (...args: Parameters<VolumeDriver['createVolume']>) => {
      await new Promise((r) => setTimeout(r, ms));
      return driver.createVolume(...args);
    };
  }
  if (faults.capacityGb !== undefined) {
    const gb = faults.capacityGb;
    overrides.getVolumeStats = async (refresh: boolean): Promise<VolumeStats> => {
      const stats = await driver.getVolumeStats(refresh);
      for (const p of stats.pools) {
        p.total_capacity_gb = gb;
        p.free_capacity_gb = gb;
      }
      return stats;
    };
  }
  // NOTE: a Proxy, not a subclass or Object.create: drivers keep state in #private fields, which
  // only work with the real instance as `this`.
  return new Proxy(driver, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof VolumeDriver];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `driver` with the faults `KINDLING_TEST_DRIVER_FAULTS` names for `backend` (none when unset). */
export function withTestDriverFaults(
  driver: VolumeDriver,
  backend: string,
  env: NodeJS.ProcessEnv = process.env,
): VolumeDriver {
  return withDriverFaults(driver, faultsFor(parseDriverFaults(env[DRIVER_FAULTS_ENV]), backend));
}
