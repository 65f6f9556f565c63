import type { RequestContext } from '../common/context.js';
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

/** Client side of the backup service's RPC API (Cinder's `backup/rpcapi.py`, 2.x). */
export class BackupRPCAPI {
  constructor(private readonly transport: Transport) {}

  async createBackup(ctx: RequestContext, host: string, backupId: string): Promise<void> {
    await this.transport.cast(backupTarget(host), 'create_backup', { backup_id: backupId }, ctx);
  }

  async restoreBackup(ctx: RequestContext, host: string, backupId: string, volumeId: string): Promise<void> {
    await this.transport.cast(
      backupTarget(host),
      'restore_backup',
      { backup_id: backupId, volume_id: volumeId },
      ctx,
    );
  }

  async deleteBackup(ctx: RequestContext, host: string, backupId: string): Promise<void> {
    await this.transport.cast(backupTarget(host), 'delete_backup', { backup_id: backupId }, ctx);
  }

  async exportRecord(ctx: RequestContext, host: string, backupId: string): Promise<BackupRecordExport> {
    return this.transport.call(backupTarget(host), 'export_record', { backup_id: backupId }, ctx, 60);
  }

  async importRecord(
    ctx: RequestContext,
    host: string,
    args: { backup_id: string; backup_service: string; backup_url: string; backup_hosts: string[] },
  ): Promise<void> {
    await this.transport.cast(backupTarget(host), 'import_record', { ...args }, ctx);
  }

  async resetStatus(ctx: RequestContext, host: string, backupId: string, status: string): Promise<void> {
    await this.transport.cast(backupTarget(host), 'reset_status', { backup_id: backupId, status }, ctx);
  }

  async checkSupportToForceDelete(ctx: RequestContext, host: string | null): Promise<boolean> {
    return this.transport.call(backupTarget(host), 'check_support_to_force_delete', {}, ctx, 60);
  }
}
