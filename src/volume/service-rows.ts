/**
 * The services' rows as the admin APIs read and change them (Cinder's `objects.ServiceList` and
 * `Service.save` as `os-services`, `os-hosts`, `capabilities` and `workers` use them).
 */
import { ServiceNotFoundOnHost } from '../common/errors.js';
import type { Db } from '../db/api/common.js';
import {
  hostMatches,
  serviceFind,
  serviceGetAll,
  serviceIsUp,
  serviceSetDisabled,
  volumeServiceStates,
  type ServiceRow,
} from '../db/api/services.js';

// NOTE: re-exported as they are, so the API reads services here only: the pure helpers over a row
// or a host name, and the volume services' heartbeats `/healthcheck` reads.
export { hostMatches, serviceIsUp, volumeServiceStates };

/** Every live service, optionally of one binary and/or host (exact). */
export function listServices(
  db: Db,
  filters: { binary?: string; host?: string } = {},
): Promise<ServiceRow[]> {
  return serviceGetAll(db, filters);
}

/** Live services of `binary` (exact) whose host matches `host` at Cinder's host-filter level. */
export function findServices(
  db: Db,
  filters: { host?: string | null; binary?: string | null },
): Promise<ServiceRow[]> {
  return serviceFind(db, filters);
}

/**
 * Enables or disables the service of `binary` on `host` (`ServiceNotFoundOnHost` when there is
 * none); `disabledReason` undefined leaves the reason as it is.
 */
export async function setServiceDisabled(
  db: Db,
  host: string,
  binary: string,
  disabled: boolean,
  disabledReason?: string | null,
): Promise<void> {
  const [svc] = await serviceFind(db, { host, binary });
  if (!svc) throw new ServiceNotFoundOnHost(binary, host);
  await serviceSetDisabled(db, svc.id, disabled, disabledReason);
}
