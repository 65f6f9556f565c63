import type { RequestContext } from '../common/context.js';
import { VOLUME_TOPIC, volumeTopicFor, type Transport } from '../rpc/transport.js';
import { extractHost } from '../common/host.js';

/** Client side of a volume service's RPC API (topic `cinder-volume.<host@backend>`). */
export class VolumeRPCAPI {
  constructor(private readonly transport: Transport) {}

  #target(host: string) {
    const backend = extractHost(host, 'backend') ?? host;
    return { topic: volumeTopicFor(backend), server: backend };
  }

  /** Cast `create_volume` to the backend chosen by the scheduler (`volume.host`). */
  async createVolume(
    ctx: RequestContext,
    host: string,
    args: { volume_id: string; request_spec: unknown; filter_properties: unknown; allow_reschedule: boolean },
  ): Promise<void> {
    await this.transport.cast(this.#target(host), 'create_volume', args, ctx);
  }

  /** Cast `delete_volume` to the volume's backend. */
  async deleteVolume(
    ctx: RequestContext,
    host: string,
    args: { volume_id: string; cascade: boolean },
  ): Promise<void> {
    await this.transport.cast(this.#target(host), 'delete_volume', args, ctx);
  }

  /** Asks every volume service to report capabilities now (scheduler start-up). */
  async publishServiceCapabilities(ctx: RequestContext): Promise<void> {
    await this.transport.cast({ topic: VOLUME_TOPIC, fanout: true }, 'publish_service_capabilities', {}, ctx);
  }
}
