import type { CoreDeps } from '../common/deps.js';
import {
  serviceGetOrCreate,
  serviceHeartbeat,
  serviceMarkStopped,
  type ServiceRow,
  type ServiceState,
  type ServiceStateFactory,
  type ServiceValues,
} from '../db/api/services.js';
import { clusterJoin } from '../db/api/clusters.js';

/**
 * A service's row in `services` and its heartbeat (Cinder's `Service.report_state`): registered at
 * start, touched every `report_interval` seconds, and marked down at a clean stop so
 * `os-services` shows it `down` at once.
 */
export class ServiceRecord implements ServiceState {
  #row: ServiceRow | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: CoreDeps,
    private readonly values: ServiceValues,
  ) {}

  /** The row, once registered. */
  get row(): ServiceRow | null {
    return this.#row;
  }

  async register(): Promise<ServiceRow> {
    this.#row = await serviceGetOrCreate(this.deps.dbh.db, this.values);
    // NOTE: a clustered service makes its cluster's row (or joins it), as Cinder's start does.
    await clusterJoin(this.deps.dbh.db, this.#row);
    const id = this.#row.id;
    this.#timer = setInterval(() => {
      serviceHeartbeat(this.deps.dbh.db, id).catch((e: unknown) =>
        this.deps.log.warn(
          { err: e, host: this.values.host, binary: this.values.binary },
          'heartbeat failed',
        ),
      );
    }, this.deps.config.DEFAULT.report_interval * 1000);
    this.#timer.unref();
    return this.#row;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#row)
      await serviceMarkStopped(
        this.deps.dbh.db,
        this.#row.id,
        this.deps.config.DEFAULT.service_down_time,
      ).catch(() => {});
  }
}

/** What the service wrapper hands a manager's start: its service records, over `deps`. */
export function serviceRecords(deps: CoreDeps): ServiceStateFactory {
  return (values) => new ServiceRecord(deps, values);
}
