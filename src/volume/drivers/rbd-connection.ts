/**
 * How clients reach an image of the `rbd` driver (rbd-driver.ts): the connection info Cinder's RBD
 * driver hands Nova (monitors, cephx user, libvirt secret) and the image as qemu opens it.
 */
import type { RbdOptions } from '../../config/rbd-options.js';
import type { DriverVolume } from '../driver.js';
import type { CephCli } from './rbd-cli.js';
import type { CephMonMap } from './rbd-json.js';

/**
 * The image as qemu's rbd driver opens it (`rbd:pool/image:conf=…:id=…:keyring=…`); `:` and `\`
 * in values are escaped as qemu wants.
 */
export function qemuSpec(o: RbdOptions, image: string): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  let spec = `rbd:${esc(o.rbd_pool)}/${esc(image)}`;
  if (o.rbd_ceph_conf) spec += `:conf=${esc(o.rbd_ceph_conf)}`;
  if (o.rbd_user) spec += `:id=${esc(o.rbd_user)}`;
  if (o.rbd_keyring_conf) spec += `:keyring=${esc(o.rbd_keyring_conf)}`;
  return spec;
}

/**
 * Cinder's RBD connection info: monitors from `ceph mon dump`, cephx user and libvirt secret (the
 * cluster's FSID unless `rbd_secret_uuid`); the keyring's text when the driver read one.
 */
export async function connectionInfo(
  cli: CephCli,
  o: RbdOptions,
  volume: DriverVolume,
  fsid: string | null,
  keyringData: string | null,
): Promise<{ driver_volume_type: string; data: Record<string, unknown> }> {
  const monmap = await cli.cephJson<CephMonMap>(['mon', 'dump']);
  const hosts: string[] = [];
  const ports: string[] = [];
  for (const mon of monmap.mons) {
    const hostPort = mon.addr.slice(0, mon.addr.lastIndexOf('/'));
    const colon = hostPort.lastIndexOf(':');
    hosts.push(hostPort.slice(0, colon).replace(/^\[|\]$/g, ''));
    ports.push(hostPort.slice(colon + 1));
  }
  const data: Record<string, unknown> = {
    name: `${o.rbd_pool}/${volume.name}`,
    hosts,
    ports,
    cluster_name: o.rbd_cluster_name,
    auth_enabled: o.rbd_user !== null,
    auth_username: o.rbd_user,
    secret_type: 'ceph',
    secret_uuid: o.rbd_secret_uuid ?? fsid,
    volume_id: volume.id,
    discard: true,
  };
  if (keyringData) data.keyring = keyringData;
  return { driver_volume_type: 'rbd', data };
}
