import { sql } from 'kysely';
import type { Db } from './common.js';

/** `SELECT 1`: resolves once the database answers (the health check's probe). */
export async function databasePing(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}
