/**
 * A backend's capabilities (Cinder's `driver.init_capabilities` and the volume manager's
 * `get_capabilities`): the driver's stats plus the standard properties a volume type's extra specs
 * may set, asked of the backend's volume service for `GET /capabilities/{host}`.
 */
import type { RequestContext } from '../common/context.js';
import { MessagingTimeout, volumeTarget, type Transport } from '../rpc/transport.js';
import { rpcClient } from '../rpc/methods.js';
import { RPCTimeout } from '../common/errors.js';
import type { VolumeDriver } from './driver.js';
import type { BackendCapabilities, CapabilityProperty, VolumeRpcMethods } from './rpcapi.js';

/** Cinder's standard capabilities (`_init_standard_capabilities`), with its texts. */
export const STANDARD_PROPERTIES: Readonly<Record<string, CapabilityProperty>> = {
  thin_provisioning: { title: 'Thin Provisioning', description: 'Sets thin provisioning.', type: 'boolean' },
  compression: { title: 'Compression', description: 'Enables compression.', type: 'boolean' },
  qos: { title: 'QoS', description: 'Enables QoS.', type: 'boolean' },
  replication_enabled: { title: 'Replication', description: 'Enables replication.', type: 'boolean' },
};

/** The backend's capabilities now (the driver's fresh stats). */
export async function backendCapabilities(driver: VolumeDriver): Promise<BackendCapabilities> {
  const stats = await driver.getVolumeStats(true);
  return { ...stats, properties: { ...STANDARD_PROPERTIES } };
}

/** Seconds `GET /capabilities` waits for the volume service (Cinder's `rpc_response_timeout`). */
const CAPABILITIES_TIMEOUT_S = 60;

/**
 * Calls `get_capabilities` on the volume service of `server` (`host@backend` or its cluster).
 * @throws RPCTimeout (502) when the service does not answer in time
 */
export async function getCapabilities(
  transport: Transport,
  ctx: RequestContext,
  server: string,
): Promise<BackendCapabilities> {
  try {
    return await rpcClient<VolumeRpcMethods>(transport).call(
      volumeTarget(server),
      'get_capabilities',
      { discover: false },
      ctx,
      CAPABILITIES_TIMEOUT_S,
    );
  } catch (e) {
    if (e instanceof MessagingTimeout) throw new RPCTimeout(server);
    throw e;
  }
}
