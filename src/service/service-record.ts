import type { CoreDeps } from '../common/deps.js';
import {
  serviceGetOrCreate,
  serviceHeartbeat,
  serviceMarkStopped,
  type ServiceRow,
} from '../db/api/services.js';

/**
 * A service's row in `services` and its heartbeat (Cinder's `Service.report_state`): registered at
 * start, touched every `report_interval` seconds, and marked down at a clean stop so
 * `os-services` shows it `down` at once.
 */
export class ServiceRecord {
  #row: ServiceRow | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: CoreDeps,
    private readonly values: {
      host: string;
      binary: string;
      topic: string;
      availability_zone: string;
      cluster_name?: string | null;
    },
  ) {}

  /** The row, once registered. */
  get row(): ServiceRow | null {
    return this.#row;
  }

  async register(): Promise<ServiceRow> {
    this.#row = await serviceGetOrCreate(this.deps.dbh.db, this.values);
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
