import type { RequestContext } from '../common/context.js';
import { rpcClient, type RpcClient, type RpcMethod } from '../rpc/methods.js';
import type { Target, Transport } from '../rpc/transport.js';

/** Cinder's backup topic: a backup service listens on `cinder-backup.<host>` (and the topic). */
export const BACKUP_TOPIC = 'cinder-backup';

/** Target of the backup service on `host` (any backup service when `host` is null). */
export function backupTarget(host: string | null): Target {
  return host ? { topic: BACKUP_TOPIC, server: host } : { topic: BACKUP_TOPIC };
}

/** What an export answers (`{backup_service, backup_url}`). */
export interface BackupRecordExport {
  backup_service: string;
  backup_url: string;
}

/** `import_record` arguments: the record an export gave, and the hosts left to try. */
export interface ImportRecordArgs {
  backup_id: string;
  backup_service: string;
  backup_url: string;
  backup_hosts: string[];
}

/**
 * The backup service's RPC methods (`cinder-backup.<host>`): each one's arguments and reply,
 * shared by {@link BackupRPCAPI} and the endpoint the BackupManager listens with
 * (src/backup/manager.ts).
 */
export interface BackupRpcMethods {
  create_backup: RpcMethod<{ backup_id: string }>;
  restore_backup: RpcMethod<{ backup_id: string; volume_id: string }>;
  delete_backup: RpcMethod<{ backup_id: string }>;
  export_record: RpcMethod<{ backup_id: string }, BackupRecordExport>;
  import_record: RpcMethod<ImportRecordArgs>;
  reset_status: RpcMethod<{ backup_id: string; status: string }>;
  check_support_to_force_delete: RpcMethod<Record<string, never>, boolean>;
  publish_service_capabilities: RpcMethod<Record<string, never>>;
  set_log_levels: RpcMethod<{ prefix: string | null; level: unknown }>;
  get_log_levels: RpcMethod<{ prefix: string | null }, Record<string, string>>;
}

/** Client side of the backup service's RPC API (Cinder's `backup/rpcapi.py`, 2.x). */
export class BackupRPCAPI {
  readonly #rpc: RpcClient<BackupRpcMethods>;

  constructor(transport: Transport) {
    this.#rpc = rpcClient(transport);
  }

  async createBackup(ctx: RequestContext, host: string, backupId: string): Promise<void> {
    await this.#rpc.cast(backupTarget(host), 'create_backup', { backup_id: backupId }, ctx);
  }

  async restoreBackup(ctx: RequestContext, host: string, backupId: string, volumeId: string): Promise<void> {
    await this.#rpc.cast(
      backupTarget(host),
      'restore_backup',
      { backup_id: backupId, volume_id: volumeId },
      ctx,
    );
  }

  async deleteBackup(ctx: RequestContext, host: string, backupId: string): Promise<void> {
    await this.#rpc.cast(backupTarget(host), 'delete_backup', { backup_id: backupId }, ctx);
  }

  async exportRecord(ctx: RequestContext, host: string, backupId: string): Promise<BackupRecordExport> {
    return this.#rpc.call(backupTarget(host), 'export_record', { backup_id: backupId }, ctx, 60);
  }

  async importRecord(ctx: RequestContext, host: string, args: ImportRecordArgs): Promise<void> {
    await this.#rpc.cast(backupTarget(host), 'import_record', { ...args }, ctx);
  }

  async resetStatus(ctx: RequestContext, host: string, backupId: string, status: string): Promise<void> {
    await this.#rpc.cast(backupTarget(host), 'reset_status', { backup_id: backupId, status }, ctx);
  }

  async checkSupportToForceDelete(ctx: RequestContext, host: string | null): Promise<boolean> {
    return this.#rpc.call(backupTarget(host), 'check_support_to_force_delete', {}, ctx, 60);
  }
}
