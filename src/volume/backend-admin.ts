/**
 * Admin operations on whole volume backends (Cinder's `volume/api.py` freeze_host, thaw_host,
 * failover): they change a column on the backend's service rows — every member's when the backend
 * is clustered — and tell the volume service. Also the frozen check other operations make.
 */
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { InvalidInput, InvalidParameterValue, CinderError } from '../common/errors.js';
import { extractHost } from '../common/host.js';
import { pythonRepr } from '../common/strutils.js';
import type { Db } from '../db/api/common.js';
import {
  hostMatches,
  serviceColumnConditionalUpdate,
  serviceFrozen,
  serviceGetAll,
  serviceIsUp,
  type ServiceRow,
} from '../db/api/services.js';
import { VolumeRPCAPI } from './rpcapi.js';
import {
  clusterConditionalUpdate,
  clusterGet,
  clusterGetSummary,
  clusterUpdate,
} from '../db/api/clusters.js';

const VOLUME_BINARY = 'cinder-volume';

/**
 * Cinder's `ServiceNotFound` raised with its own text, which the os-services controller turns into
 * a 400 whose message is that text alone (no "Invalid input received:" prefix).
 */
export class NoServiceFound extends CinderError {
  override readonly code: number = 400;
}

/**
 * The volume services `host` (host-level match) or `cluster` names, as Cinder's
 * `_get_cluster_and_services_for_replication`: all from one backend, and every member of the
 * cluster when the host given belongs to one.
 */
export async function servicesForBackendAdmin(
  db: Db,
  host: string | null,
  cluster: string | null,
): Promise<{ cluster: string | null; services: ServiceRow[] }> {
  const all = await serviceGetAll(db, { binary: VOLUME_BINARY });
  const found = all.filter((s) =>
    host ? hostMatches(host, s.host) : !!s.cluster_name && hostMatches(cluster ?? '', s.cluster_name),
  );
  const first = found[0];
  if (!first)
    throw new NoServiceFound(
      host ? `No service found with host=${host}` : `No service found with cluster=${cluster}`,
    );
  const key = (s: ServiceRow) => (host ? s.host : s.cluster_name);
  if (found.some((s) => key(s) !== key(first)))
    throw new InvalidParameterValue('Services from different clusters found.');
  if (first.cluster_name)
    return {
      cluster: first.cluster_name,
      services: all.filter((s) => s.cluster_name === first.cluster_name),
    };
  return { cluster: null, services: found };
}

type Column = 'frozen' | 'replication_status';

/**
 * Cinder's `_replication_db_change`: sets `column` to `next` on each service (up ones only with
 * `checkUp`) whose value is one of `expected`, compare-and-swap; fails when none could change.
 */
async function changeServices(
  deps: CoreDeps,
  column: Column,
  expected: readonly (string | number)[],
  next: string | number,
  target: { host: string | null; cluster: string | null },
  checkUp: boolean,
  expectedText: string,
): Promise<ServiceRow[]> {
  const db = deps.dbh.db;
  const { cluster: clusterName, services } = await servicesForBackendAdmin(db, target.host, target.cluster);
  const changed: ServiceRow[] = [];
  const notChanged: ServiceRow[] = [];
  const downTime = deps.config.DEFAULT.service_down_time;
  // NOTE: as Cinder's, a clustered backend's cluster row changes first (it is what the scheduler
  // and the frozen check read), and is put back when no member could change.
  const cluster = clusterName ? await clusterGetSummary(db, clusterName, VOLUME_BINARY, downTime) : null;
  if (
    cluster &&
    ((checkUp && !cluster.is_up) || !(await clusterConditionalUpdate(db, cluster.id, column, expected, next)))
  )
    throw new InvalidInput(
      `${column} in ${cluster.name} must be ${expectedText} ${checkUp ? 'and must be up ' : ''}to failover.`,
    );
  for (const s of services) {
    let ok = !checkUp || serviceIsUp(s, downTime);
    if (ok) {
      ok = (await serviceColumnConditionalUpdate(db, s.id, column, expected, next)) > 0;
    }
    (ok ? changed : notChanged).push(s);
  }
  if (notChanged.length) {
    const msg =
      `${column} in ${pythonRepr(notChanged.map((s) => s.host))} must be ${expectedText} ` +
      `${checkUp ? 'and must be up ' : ''}to failover.`;
    if (!changed.length) {
      if (cluster) await clusterUpdate(db, cluster.id, { [column]: cluster[column] });
      throw new InvalidInput(`No service could be changed: ${msg}`);
    }
    deps.log.warn({ services: notChanged.map((s) => s.host) }, `Some services could not be changed: ${msg}`);
  }
  return services;
}

/** Where a backend-wide RPC goes: the service's cluster queue when clustered, else its own. */
function placementOf(s: ServiceRow) {
  return { host: s.host, cluster_name: s.cluster_name };
}

/**
 * `freeze_host`: marks the backend frozen (no new volumes scheduled there, no deletes or snapshot
 * changes of its volumes) and tells its volume service, if it is up, so the driver can act.
 */
export async function freezeHost(
  deps: CoreDeps,
  ctx: RequestContext,
  target: { host: string | null; cluster: string | null },
): Promise<void> {
  const services = await changeServices(deps, 'frozen', [0], 1, target, false, 'False');
  await notifyService(deps, ctx, services, 'freeze_host');
}

/** `thaw_host`: undoes a freeze; returns Cinder's text when the driver reported an error. */
export async function thawHost(
  deps: CoreDeps,
  ctx: RequestContext,
  target: { host: string | null; cluster: string | null },
): Promise<string | null> {
  const services = await changeServices(deps, 'frozen', [1], 0, target, false, 'True');
  const ok = await notifyService(deps, ctx, services, 'thaw_host');
  return ok === false ? 'Backend reported error during thaw_host operation.' : null;
}

/**
 * `failover`: only a backend with replication enabled (or failed over) can fail over. Kindling's
 * drivers do not replicate, so every service is `not-capable` and this answers Cinder's refusal.
 */
export async function failoverHost(
  deps: CoreDeps,
  target: { host: string | null; cluster: string | null },
): Promise<void> {
  await changeServices(
    deps,
    'replication_status',
    ['enabled', 'failed-over'],
    'failing-over',
    target,
    true,
    "['enabled', 'failed-over']",
  );
  // NOTE: unreachable today (no replicating driver): a replicating backend would be told here.
  throw new InvalidInput('Replication is not supported by any Kindling backend.');
}

/** Calls the first up service of the backend; a backend that is down learns it when it starts. */
async function notifyService(
  deps: CoreDeps,
  ctx: RequestContext,
  services: ServiceRow[],
  method: 'freeze_host' | 'thaw_host',
): Promise<boolean | null> {
  const up = services.find((s) => serviceIsUp(s, deps.config.DEFAULT.service_down_time));
  if (!up) return null;
  const rpc = new VolumeRPCAPI(deps.transport);
  return method === 'freeze_host' ? rpc.freezeHost(ctx, placementOf(up)) : rpc.thawHost(ctx, placementOf(up));
}

/**
 * Cinder's `assert_not_frozen`: operations that change a volume's or snapshot's storage are refused
 * while its backend (or cluster) is frozen.
 */
export async function assertNotFrozen(
  db: Db,
  v: { host: string | null; cluster_name?: string | null },
): Promise<void> {
  if (!v.host && !v.cluster_name) return;
  const clusterName = v.cluster_name ? extractHost(v.cluster_name, 'backend') : null;
  // NOTE: Cinder's `is_backend_frozen`: a clustered volume's cluster row decides (its members'
  // rows before clusters existed).
  const cluster = clusterName ? await clusterGet(db, clusterName, VOLUME_BINARY) : null;
  const host = extractHost(v.host, 'backend');
  const frozen = clusterName
    ? cluster
      ? cluster.frozen === 1
      : await serviceFrozen(db, VOLUME_BINARY, { cluster: clusterName })
    : host !== null && (await serviceFrozen(db, VOLUME_BINARY, { host }));
  if (frozen) throw new InvalidInput('Modification operations are not allowed on frozen storage backends.');
}
