/**
 * What an iSCSI export of a volume records (Cinder's `ISCSITarget.create_export`): the CHAP
 * credentials it uses and the `provider_location` / `provider_auth` saved in the volume row.
 * Shared by the tgt target and the in-memory one of the tests.
 */
import type { TargetOptions } from '../../config/target-options.js';
import { generatePassword, generateUsername } from './chap.js';
import { formatProviderAuth, formatProviderLocation, parseProviderAuth } from './provider-location.js';
import type { ExportModel, TargetVolume } from './target.js';
import { VOLUME_LUN } from './tgt-commands.js';

/** CHAP credentials of an export. */
export type Chap = { readonly username: string; readonly password: string };

/** The volume's CHAP credentials: those it has, else the configured ones, else new ones; none without CHAP. */
export function chapFor(o: TargetOptions, volume: TargetVolume): Chap | null {
  if (!o.use_chap_auth) return null;
  const existing = parseProviderAuth(volume.provider_auth);
  if (existing) return existing;
  if (o.chap_username) return { username: o.chap_username, password: o.chap_password };
  return { username: generateUsername(), password: generatePassword() };
}

/** The row's `provider_location` and `provider_auth` for target `tid` / `iqn`, LUN 1. */
export function exportModel(o: TargetOptions, tid: number, iqn: string, chap: Chap | null): ExportModel {
  return {
    provider_location: formatProviderLocation([o.target_ip_address], o.target_port, tid, iqn, VOLUME_LUN),
    provider_auth: chap ? formatProviderAuth(chap.username, chap.password) : null,
  };
}
