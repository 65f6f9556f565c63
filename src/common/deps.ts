import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Coordinator } from '../coordination/index.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { MessageApi } from '../message/api.js';
import type { Notifier } from '../notify/notifier.js';
import type { QuotaEngine } from '../quota/quota-engine.js';
import type { Transport } from '../rpc/transport.js';

/**
 * What every service (api, scheduler, volume) is built from, chosen once at start-up from config:
 * the database, the bus, quotas, user messages, notifications and the logger.
 */
export interface CoreDeps {
  readonly config: Config;
  readonly dbh: DatabaseHandle;
  readonly quotas: QuotaEngine;
  readonly messages: MessageApi;
  readonly notifier: Notifier;
  readonly transport: Transport;
  readonly log: Logger;
  /** Distributed locks (`[coordination] backend_url`). */
  readonly coordinator: Coordinator;
  /** Stops the coordinator and the bus and closes the database. */
  close(): Promise<void>;
}
