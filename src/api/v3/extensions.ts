/**
 * `GET /extensions` (Cinder's `api/extensions.py` `ExtensionsResource.index`): the API extensions
 * served. Only those Kindling really serves are listed, with Cinder's names, aliases, texts and
 * dates (a client deciding what it may call by alias must not be misled), in Cinder's order.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ItemNotFound } from '../../common/errors.js';

interface Extension {
  readonly name: string;
  readonly alias: string;
  readonly description: string;
  readonly updated: string;
}

/** Each entry: what in Kindling serves it. */
const EXTENSIONS: readonly Extension[] = [
  // POST /volumes/{id}/action os-unmanage (src/volume/manage-api.ts)
  {
    name: 'VolumeUnmanage',
    alias: 'os-volume-unmanage',
    description: 'Enable volume unmanage operation.',
    updated: '2012-05-31T00:00:00+00:00',
  },
  // GET /limits with the used values (limits_extension:used_limits)
  {
    name: 'UsedLimits',
    alias: 'os-used-limits',
    description: 'Provide data on limited resources that are being used.',
    updated: '2013-10-03T00:00:00+00:00',
  },
  // os-reset_status, os-force_delete, os-migrate_volume… on volumes and snapshots
  {
    name: 'AdminActions',
    alias: 'os-admin-actions',
    description: 'Enable admin actions.',
    updated: '2012-08-25T00:00:00+00:00',
  },
  // /types/{id}/extra_specs
  {
    name: 'TypesExtraSpecs',
    alias: 'os-types-extra-specs',
    description: 'Type extra specs support.',
    updated: '2011-08-24T00:00:00+00:00',
  },
  // POST /snapshots/{id}/action os-unmanage
  {
    name: 'SnapshotUnmanage',
    alias: 'os-snapshot-unmanage',
    description: 'Enable volume unmanage operation.',
    updated: '2014-12-31T00:00:00+00:00',
  },
  // /types/{id}/encryption
  {
    name: 'VolumeTypeEncryption',
    alias: 'encryption',
    description: 'Encryption support for volume types.',
    updated: '2013-07-01T00:00:00+00:00',
  },
  // /snapshots/{id}/action
  {
    name: 'SnapshotActions',
    alias: 'os-snapshot-actions',
    description: 'Enable snapshot manager actions.',
    updated: '2013-07-16T00:00:00+00:00',
  },
  // /backups
  {
    name: 'Backups',
    alias: 'backups',
    description: 'Backups support.',
    updated: '2012-12-12T00:00:00+00:00',
  },
  // /os-quota-sets
  {
    name: 'Quotas',
    alias: 'os-quota-sets',
    description: 'Quota management support.',
    updated: '2011-08-08T00:00:00+00:00',
  },
  // /volumes/{id}/action
  {
    name: 'VolumeActions',
    alias: 'os-volume-actions',
    description: 'Enable volume actions.',
    updated: '2012-05-31T00:00:00+00:00',
  },
  // /os-quota-class-sets
  {
    name: 'QuotaClasses',
    alias: 'os-quota-class-sets',
    description: 'Quota classes management support.',
    updated: '2012-03-12T00:00:00+00:00',
  },
  // /os-availability-zone
  {
    name: 'AvailabilityZones',
    alias: 'os-availability-zone',
    description: 'Describe Availability Zones.',
    updated: '2013-06-27T00:00:00+00:00',
  },
  // /types/{id}/os-volume-type-access, addProjectAccess / removeProjectAccess
  {
    name: 'VolumeTypeAccess',
    alias: 'os-volume-type-access',
    description: 'Volume type access support.',
    updated: '2014-06-26T00:00:00Z',
  },
  // /os-services
  {
    name: 'Services',
    alias: 'os-services',
    description: 'Services support.',
    updated: '2012-10-28T00:00:00-00:00',
  },
  // /os-hosts
  {
    name: 'Hosts',
    alias: 'os-hosts',
    description: 'Admin-only host administration.',
    updated: '2011-06-29T00:00:00+00:00',
  },
  // POST/PUT/DELETE /types
  {
    name: 'TypesManage',
    alias: 'os-types-manage',
    description: 'Types manage support.',
    updated: '2011-08-24T00:00:00+00:00',
  },
  // os-extended-snapshot-attributes:project_id / :progress in snapshot views
  {
    name: 'ExtendedSnapshotAttributes',
    alias: 'os-extended-snapshot-attributes',
    description: 'Extended SnapshotAttributes support.',
    updated: '2012-06-19T00:00:00+00:00',
  },
  // /os-snapshot-manage (and 3.8 /manageable_snapshots)
  {
    name: 'SnapshotManage',
    alias: 'os-snapshot-manage',
    description: "Allows existing backend storage to be 'managed' by Cinder.",
    updated: '2014-12-31T00:00:00+00:00',
  },
  // /qos-specs
  {
    name: 'Qos_specs_manage',
    alias: 'qos-specs',
    description: 'QoS specs support.',
    updated: '2013-08-02T00:00:00+00:00',
  },
  // os-vol-host-attr:host in volume views (admins)
  {
    name: 'VolumeHostAttribute',
    alias: 'os-vol-host-attr',
    description: 'Expose host as an attribute of a volume.',
    updated: '2011-11-03T00:00:00+00:00',
  },
  // /scheduler-stats/get_pools
  {
    name: 'Scheduler_stats',
    alias: 'scheduler-stats',
    description: 'Scheduler stats support.',
    updated: '2014-09-07T00:00:00+00:00',
  },
  // /os-volume-manage (and 3.8 /manageable_volumes)
  {
    name: 'VolumeManage',
    alias: 'os-volume-manage',
    description: "Allows existing backend storage to be 'managed' by Cinder.",
    updated: '2014-02-10T00:00:00+00:00',
  },
  // os-vol-mig-status-attr:* in volume views (admins)
  {
    name: 'VolumeMigStatusAttribute',
    alias: 'os-vol-mig-status-attr',
    description: 'Expose migration_status as an attribute of a volume.',
    updated: '2013-08-08T00:00:00+00:00',
  },
  // /os-volume-transfer
  {
    name: 'VolumeTransfer',
    alias: 'os-volume-transfer',
    description: 'Volume transfer management support.',
    updated: '2013-05-29T00:00:00+00:00',
  },
  // os-vol-tenant-attr:tenant_id in volume views (admins)
  {
    name: 'VolumeTenantAttribute',
    alias: 'os-vol-tenant-attr',
    description: 'Expose the internal project_id as an attribute of a volume.',
    updated: '2011-11-03T00:00:00+00:00',
  },
  // OS-SCH-HNT:scheduler_hints of POST /volumes reach the scheduler
  {
    name: 'SchedulerHints',
    alias: 'OS-SCH-HNT',
    description: 'Pass arbitrary key/value pairs to the scheduler.',
    updated: '2013-04-18T00:00:00+00:00',
  },
  // disable-log-reason, disabled_reason in /os-services
  {
    name: 'ExtendedServices',
    alias: 'os-extended-services',
    description: 'Extended services support.',
    updated: '2014-01-10T00:00:00-00:00',
  },
  // /capabilities/{host}
  {
    name: 'Capabilities',
    alias: 'capabilities',
    description: 'Capabilities support.',
    updated: '2015-08-31T00:00:00+00:00',
  },
  // NOTE: where these two sit in Cinder's list depends on the order its contrib directory's files
  // come in on disk; last here.
  // /consistencygroups (src/api/v3/consistencygroups.ts)
  {
    name: 'Consistencygroups',
    alias: 'consistencygroups',
    description: 'consistency groups support.',
    updated: '2014-08-18T00:00:00+00:00',
  },
  // /cgsnapshots (src/api/v3/consistencygroups.ts)
  {
    name: 'Cgsnapshots',
    alias: 'cgsnapshots',
    description: 'cgsnapshots support.',
    updated: '2014-08-18T00:00:00+00:00',
  },
];

const view = (e: Extension) => ({ ...e, links: [] });

/** Route generics: the URL parameters of a route. */
type ByAlias = { Params: { alias: string } };

/** Route group for `/extensions` and `/extensions/{alias}` (no policy, as in Cinder). */
export function extensionRoutes() {
  return async (app: FastifyInstance) => {
    async function show(req: FastifyRequest<ByAlias>) {
      const alias = req.params.alias;
      const found = EXTENSIONS.find((e) => e.alias === alias);
      if (!found) throw new ItemNotFound();
      return { extension: view(found) };
    }

    app.get('/extensions', async () => ({ extensions: EXTENSIONS.map(view) }));
    app.get<ByAlias>('/extensions/:alias', show);
  };
}
