import type { ColumnDefinitionBuilder, CreateTableBuilder } from 'kysely';
import type { DialectName } from '../dialect-name.js';

/** Shared column shapes, so every table spells ids, timestamps and soft delete the same way. */
export const TS = 'varchar(32)';
export const UUID = 'varchar(36)';

/** An auto-incrementing integer primary key, spelled as each dialect wants it. */
export function autoId<T extends string>(
  table: CreateTableBuilder<T, never>,
  dialect: DialectName,
): CreateTableBuilder<T, 'id'> {
  const spec = (c: ColumnDefinitionBuilder) =>
    dialect === 'sqlite'
      ? c.primaryKey().autoIncrement()
      : dialect === 'mysql'
        ? c.primaryKey().autoIncrement()
        : c.primaryKey();
  return table.addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', spec);
}

/** created_at / updated_at / deleted_at / deleted, as Cinder's models have them. */
export function softDelete<T extends string, C extends string>(
  table: CreateTableBuilder<T, C>,
): CreateTableBuilder<T, C | 'created_at' | 'updated_at' | 'deleted_at' | 'deleted'> {
  return table
    .addColumn('created_at', TS, (c) => c.notNull())
    .addColumn('updated_at', TS)
    .addColumn('deleted_at', TS)
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0));
}
