/**
 * An auto-increment integer primary key, the one column type that differs between the dialects:
 * `bigserial` on PostgreSQL, `integer … autoincrement` (a rowid alias) on SQLite.
 * Usage: `await identityColumn(dialect, 'seller_id')(db.schema.createTable('sellers')).addColumn(…)`.
 */
export const identityColumn =
  (dialect: 'sqlite' | 'postgres', name: string) =>
  (t: any): any =>
    dialect === 'postgres'
      ? t.addColumn(name, 'bigserial', (c: any) => c.primaryKey())
      : t.addColumn(name, 'integer', (c: any) => c.primaryKey().autoIncrement());
