import type { CoreDeps } from '../common/deps.js';
import type { VolumeAPI } from '../volume/api.js';
import type { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import type { MetricsSource } from '../metrics/source.js';

/**
 * Everything the HTTP layer calls into. Its own module (not app.ts, which imports the v3 router),
 * so the controllers that take it close no circle back through the router.
 */
export interface ApiDeps {
  core: CoreDeps;
  volumes: VolumeAPI;
  schedulerRpc: SchedulerRPCAPI;
  /** Served at `/metrics` when given (`[metrics] enabled` with no separate `port`). */
  metrics?: MetricsSource | null;
}
