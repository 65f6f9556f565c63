import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { volumeRoutes } from './volumes.js';
import { volumeMetadataRoutes } from './volume-metadata.js';

/** Every v3 resource; registered twice, under `/v3/{project_id}` and under `/v3`. */
export function registerV3Routes(deps: ApiDeps) {
  const groups = [volumeRoutes(deps), volumeMetadataRoutes(deps)];
  return async (app: FastifyInstance) => {
    for (const g of groups) await g(app);
  };
}
