/**
 * The shapes every test Kindling has, whichever mode runs it (see `kindling.ts`).
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { CoreDeps } from '../../src/common/deps.js';
import type { Database } from '../../src/db/schema.js';
import type { Embedded } from '../../src/service/embedded.js';
import type { DriverFactory } from '../../src/service/volume-services.js';
import type { DriverFaultSpec } from './driver-faults.js';
import type { Cluster } from './cluster.js';
import type { NotificationLog } from './notification-log.js';

/** `KINDLING_TEST_MODE`: one process (SQLite, in-process bus) or separate OS processes (PostgreSQL, RabbitMQ). */
export type TestMode = 'embedded' | 'distributed';

/** What one request answered. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** Parsed JSON body, or `undefined` when the body is empty or not JSON. */
  body: any;
  /** The raw body text. */
  text: string;
}

/** Request headers; a header set to `undefined` is not sent (e.g. no `X-Auth-Token`). */
export type RequestHeaders = Record<string, string | undefined>;

/** A running test Kindling. */
export interface TestKindling {
  readonly mode: TestMode;
  /** `state_path`: volume files of the file backends live under `<stateDir>/volumes`. */
  readonly stateDir: string;
  /** A query builder on the service's own database, for assertions (and rare test set-ups). */
  readonly db: Kysely<Database>;
  /** Every notification emitted (distributed: as read back from RabbitMQ, so await `waitFor`). */
  readonly notifications: NotificationLog;
  /**
   * Embedded: the process's core. Distributed: only `config` (as the processes resolve it) and
   * `dbh` (the handle behind `db`); any other member throws.
   */
  readonly core: CoreDeps;
  /** Embedded only (throws in distributed mode). */
  readonly app: FastifyInstance;
  /** Embedded only (throws in distributed mode). */
  readonly embedded: Embedded;
  /** Distributed only: the processes; undefined when embedded. */
  readonly cluster: Cluster | undefined;
  /** Sends one request; `X-Auth-Token: admin:admin` and JSON unless `headers` say otherwise. */
  req(method: string, url: string, body?: unknown, headers?: RequestHeaders): Promise<TestResponse>;
  /** The services' logs so far (distributed; empty when embedded, whose logger is silent by default). */
  logs(): string;
  /** Stops every service and removes the state dir (and, distributed, the database and queues). */
  close(): Promise<void>;
}

/** Options of `startTestKindling`. */
export interface StartOptions {
  /** Wait until the scheduler lists the backends' pools (default true when a backend is enabled). */
  waitForPools?: boolean;
  /** Faults for backends' drivers, by backend name or `*` (both modes; see driver-faults.ts). */
  driverFaults?: DriverFaultSpec;
  /** Replaces backends' drivers; embedded only (use `driverFaults` to run in both modes). */
  driverFactory?: DriverFactory;
  /** How many schedulers place volumes (default 1); distributed: one process each, hosts `scheduler-<n>`. */
  schedulers?: number;
  /**
   * Distributed: start new processes rather than reuse the file's (for a test that depends on
   * in-memory state of the services, e.g. the schedulers' capacity bookkeeping). Embedded: always.
   */
  fresh?: boolean;
}
