import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { volumeRoutes } from './volumes.js';
import { volumeMetadataRoutes } from './volume-metadata.js';
import { typeRoutes } from './types.js';
import { typeExtraSpecsRoutes } from './type-extra-specs.js';
import { quotaSetRoutes } from './quota-sets.js';
import { limitRoutes } from './limits.js';
import { availabilityZoneRoutes } from './availability-zones.js';
import { messageRoutes } from './messages.js';
import { serviceRoutes } from './services.js';
import { schedulerStatsRoutes } from './scheduler-stats.js';

/** Every v3 resource; registered twice, under `/v3/{project_id}` and under `/v3`. */
export function registerV3Routes(deps: ApiDeps) {
  const groups = [
    volumeRoutes(deps),
    volumeMetadataRoutes(deps),
    typeRoutes(deps),
    typeExtraSpecsRoutes(deps),
    quotaSetRoutes(deps),
    limitRoutes(deps),
    availabilityZoneRoutes(deps),
    messageRoutes(deps),
    serviceRoutes(deps),
    schedulerStatsRoutes(deps),
  ];
  return async (app: FastifyInstance) => {
    for (const g of groups) await g(app);
  };
}
