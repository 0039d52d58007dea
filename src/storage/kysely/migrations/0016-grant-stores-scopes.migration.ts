import { sql, type Kysely, type Migration } from 'kysely';
import { identityColumn } from './identity-column.js';

/**
 * Issue 19 and issue 15's buyer data protection (docs/adr/0135, 0136, 0137):
 * - `grants.store_ids`: the stores one grant covers, space-separated in the order they were
 *   added (like `scope`); `store_id` stays the first of them, so readers of one store keep
 *   working. Existing grants cover their one store.
 * - `auth_codes.store_ids`: the stores the seller ticked for a code (null: `store_id` alone).
 * - `tokens.store_ids`: the grant's stores when the token's chain began (a code exchange);
 *   a later consent that adds stores does not change what earlier tokens cover (null: every
 *   store of the grant, which for rows written before 0016 is their grant's one store).
 * - `receiver_reads`: one row per decryption of an order's receiver (who, which order, when),
 *   for the seller center; the audit log has the same event.
 */
export function grantStoresScopesMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('grants')
        .addColumn('store_ids', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await sql`update grants set store_ids = cast(store_id as text)`.execute(db);
      await db.schema.alterTable('auth_codes').addColumn('store_ids', 'text').execute();
      await db.schema.alterTable('tokens').addColumn('store_ids', 'text').execute();

      await identityColumn(
        dialect,
        'id',
      )(db.schema.createTable('receiver_reads'))
        .addColumn('app_key', 'text', (c: any) => c.notNull())
        .addColumn('seller_id', 'bigint', (c: any) => c.notNull())
        .addColumn('store_id', 'bigint', (c: any) => c.notNull())
        .addColumn('order_id', 'bigint', (c: any) => c.notNull())
        .addColumn('at', 'bigint', (c: any) => c.notNull())
        .execute();
      // The seller center lists a seller's newest reads.
      await db.schema
        .createIndex('receiver_reads_seller_at_idx')
        .on('receiver_reads')
        .columns(['seller_id', 'at'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('receiver_reads').ifExists().execute();
      await db.schema.alterTable('tokens').dropColumn('store_ids').execute();
      await db.schema.alterTable('auth_codes').dropColumn('store_ids').execute();
      await db.schema.alterTable('grants').dropColumn('store_ids').execute();
    },
  };
}
