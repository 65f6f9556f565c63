/**
 * The embedded test Kindling: every service in this process on a temporary state dir (SQLite,
 * in-process bus), driven through `app.inject`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { SchedulerManager } from '../../src/scheduler/manager.js';
import { startEmbedded } from '../../src/service/embedded.js';
import { serviceRecords } from '../../src/service/service-record.js';
import { createDriver, type BackendSectionOptions } from '../../src/volume/drivers/index.js';
import { faultsFor, withDriverFaults } from './driver-faults.js';
import { injectRequest } from './http-request.js';
import { NotificationLog } from './notification-log.js';
import type { StartOptions, TestKindling } from './types.js';
import { untilReady } from './wait.js';

export async function startEmbeddedKindling(
  envOverrides: Record<string, string>,
  opts: StartOptions,
): Promise<TestKindling> {
  const stateDir = await mkdtemp(join(tmpdir(), 'kindling-api-'));
  const config = loadConfig({ env: { KINDLING_STATE_DIR: stateDir, ...envOverrides } });
  const notifications = new NotificationLog();
  const faults = opts.driverFaults;
  const driverFactory =
    opts.driverFactory ??
    (faults && ((s: BackendSectionOptions) => withDriverFaults(createDriver(s), faultsFor(faults, s.name))));
  const embedded = await startEmbedded(config, {
    log: pino({ level: process.env.KINDLING_TEST_LOG ?? 'silent' }),
    notifications,
    ...(driverFactory ? { driverFactory } : {}),
  });
  // More schedulers over the same bus and database, each with its own view of the backends.
  const extraSchedulers: SchedulerManager[] = [];
  const close = async () => {
    for (const s of extraSchedulers) await s.stop();
    await embedded.close();
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    for (let i = 2; i <= (opts.schedulers ?? 1); i++) {
      const s = new SchedulerManager(embedded.core);
      await s.start(serviceRecords(embedded.core));
      extraSchedulers.push(s);
    }
  } catch (e) {
    await close();
    throw e;
  }
  const k: TestKindling = {
    mode: 'embedded',
    stateDir,
    db: embedded.core.dbh.db,
    notifications,
    core: embedded.core,
    app: embedded.app,
    embedded,
    cluster: undefined,
    req: (method, url, body, headers) => injectRequest(embedded.app, method, url, body, headers),
    logs: () => '',
    close,
  };
  try {
    await untilReady(k, opts);
  } catch (e) {
    await close();
    throw e;
  }
  return k;
}
