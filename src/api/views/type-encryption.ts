/** Volume type encryption views (what Cinder's `volume_type_encryption.py` answers). */
import type { EncryptionTable } from '../../db/schema.js';

/**
 * Every column of the encryption row, in the model's order, as Cinder's index lists them
 * (`deleted` as a boolean). `{}` when the type has no encryption.
 */
export function encryptionSpecsView(row: EncryptionTable | null): Record<string, unknown> {
  if (!row) return {};
  return {
    created_at: row.created_at,
    updated_at: row.updated_at,
    deleted_at: row.deleted_at,
    deleted: row.deleted === 1,
    encryption_id: row.encryption_id,
    cipher: row.cipher,
    key_size: row.key_size === null ? null : Number(row.key_size),
    provider: row.provider,
    control_location: row.control_location,
    volume_type_id: row.volume_type_id,
  };
}
