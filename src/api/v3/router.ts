import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { volumeRoutes } from './volumes.js';
import { volumeTraceRoutes } from './volume-trace.js';
import { volumeMetadataRoutes } from './volume-metadata.js';
import { snapshotRoutes } from './snapshots.js';
import { snapshotMetadataRoutes } from './snapshots-metadata.js';
import { snapshotActionRoutes } from './snapshots-actions.js';
import { typeRoutes } from './types.js';
import { typeExtraSpecsRoutes } from './type-extra-specs.js';
import { typeAccessRoutes } from './type-access.js';
import { typeEncryptionRoutes } from './type-encryption.js';
import { defaultTypeRoutes } from './default-types.js';
import { qosSpecsRoutes } from './qos-specs.js';
import { quotaSetRoutes } from './quota-sets.js';
import { limitRoutes } from './limits.js';
import { availabilityZoneRoutes } from './availability-zones.js';
import { messageRoutes } from './messages.js';
import { serviceRoutes } from './services.js';
import { schedulerStatsRoutes } from './scheduler-stats.js';
import { quotaClassSetRoutes } from './quota-class-sets.js';
import { transferRoutes } from './transfers.js';
import { volumeActionRoutes } from './volume-actions.js';
import { backupRoutes } from './backups.js';
import { extensionRoutes } from './extensions.js';
import { hostRoutes } from './hosts.js';
import { capabilitiesRoutes } from './capabilities.js';
import { groupTypeRoutes } from './group-types.js';
import { groupRoutes } from './groups.js';
import { groupSnapshotRoutes } from './group-snapshots.js';
import { attachmentRoutes } from './attachments.js';
import { manageableRoutes } from './manageable.js';
import { clusterRoutes } from './clusters.js';
import { workerRoutes } from './workers.js';
import { resourceFilterRoutes } from './resource-filters.js';
import { consistencyGroupRoutes } from './consistencygroups.js';

/** Every v3 resource; registered twice, under `/v3/{project_id}` and under `/v3`. */
export function registerV3Routes(deps: ApiDeps) {
  const groups = [
    volumeRoutes(deps),
    volumeTraceRoutes(deps),
    volumeMetadataRoutes(deps),
    snapshotRoutes(deps),
    snapshotMetadataRoutes(deps),
    snapshotActionRoutes(deps),
    typeRoutes(deps),
    typeExtraSpecsRoutes(deps),
    typeAccessRoutes(deps),
    typeEncryptionRoutes(deps),
    defaultTypeRoutes(deps),
    qosSpecsRoutes(deps),
    quotaSetRoutes(deps),
    limitRoutes(deps),
    availabilityZoneRoutes(deps),
    messageRoutes(deps),
    serviceRoutes(deps),
    schedulerStatsRoutes(deps),
    quotaClassSetRoutes(deps),
    transferRoutes(deps),
    volumeActionRoutes(deps),
    backupRoutes(deps),
    extensionRoutes(),
    hostRoutes(deps),
    capabilitiesRoutes(deps),
    groupTypeRoutes(deps),
    groupRoutes(deps),
    groupSnapshotRoutes(deps),
    attachmentRoutes(deps),
    manageableRoutes(deps),
    clusterRoutes(deps),
    workerRoutes(deps),
    resourceFilterRoutes(deps),
    consistencyGroupRoutes(deps),
  ];
  return async (app: FastifyInstance) => {
    for (const g of groups) await g(app);
  };
}
