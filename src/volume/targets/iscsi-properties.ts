/**
 * What an iSCSI target answers to `initialize_connection` and `validate_connector`, read from the
 * volume's provider_location and provider_auth only (Cinder's `ISCSITarget._get_iscsi_properties`):
 * the same for every iSCSI target helper.
 */
import { InvalidConnector, InvalidVolume } from '../../common/errors.js';
import { parseProviderAuth, parseProviderLocation } from './provider-location.js';
import type { ConnectionInfo, TargetVolume } from './target.js';

/**
 * `{target_discovered, [target_portals, target_iqns, target_luns], target_portal, target_iqn,
 * target_lun, volume_id, [auth_method, auth_username, auth_password], encrypted}`; the lists when
 * there are several portals or the connector asks for multipath.
 * @throws InvalidVolume when the volume has no provider_location (Kindling does no discovery).
 */
export function iscsiProperties(volume: TargetVolume, multipath: boolean): Record<string, unknown> {
  if (!volume.provider_location)
    throw new InvalidVolume(`Could not find iSCSI export for volume ${volume.name}`);
  const { portals, iqn, lun } = parseProviderLocation(volume.provider_location);
  const properties: Record<string, unknown> = { target_discovered: false };
  if (portals.length > 1 || multipath) {
    properties.target_portals = [...portals];
    properties.target_iqns = portals.map(() => iqn);
    properties.target_luns = portals.map(() => lun);
  }
  properties.target_portal = portals[0];
  properties.target_iqn = iqn;
  properties.target_lun = lun;
  properties.volume_id = volume.id;
  const auth = parseProviderAuth(volume.provider_auth);
  if (auth) {
    properties.auth_method = auth.method;
    properties.auth_username = auth.username;
    properties.auth_password = auth.password;
  }
  properties.encrypted = volume.encrypted;
  return properties;
}

/** Cinder's `ISCSITarget.initialize_connection`: `driver_volume_type` is the target protocol. */
export function iscsiConnectionInfo(
  protocol: string,
  volume: TargetVolume,
  connector: Record<string, unknown>,
): ConnectionInfo {
  return { driver_volume_type: protocol, data: iscsiProperties(volume, Boolean(connector.multipath)) };
}

/** Cinder's `ISCSITarget.validate_connector`: the initiator's IQN is required. */
export function validateIscsiConnector(connector: Record<string, unknown>): void {
  if (!Object.hasOwn(connector, 'initiator')) throw new InvalidConnector('initiator');
}
