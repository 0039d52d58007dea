import { sql, type Kysely, type Migration } from 'kysely';
import { outboxLane } from '../../gateway-ports.js';

/**
 * The webhook outbox's lane: the store an event is about (`store_key`, the `store_id` of its body as JSON text; ''
 * for events without one), and an index over the undelivered events by app, lane and id, so that a dispatcher
 * claims an event only once the earlier events of its app and store were delivered, whichever process sent them
 * (docs/adr/0190). Before, the order per store held within one process only (docs/adr/0172): `serve --workers 2`
 * pushed one store's events out of order. Undelivered rows get their lane here; delivered ones keep '' (never
 * claimed again).
 */
export function outboxStoreLanesMigration(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('gateway_webhook_outbox')
        .addColumn('store_key', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      const pending = await db
        .selectFrom('gateway_webhook_outbox')
        .select(['id', 'body'])
        .where('delivered_at', 'is', null)
        .execute();
      for (const row of pending as Array<{ id: number | string; body: string }>) {
        const lane = outboxLane(row.body);
        if (lane !== '')
          await db.updateTable('gateway_webhook_outbox').set({ store_key: lane }).where('id', '=', row.id).execute();
      }
      await db.schema
        .createIndex('gateway_outbox_lane_idx')
        .ifNotExists()
        .on('gateway_webhook_outbox')
        .columns(['app_key', 'store_key', 'id'])
        .where(sql.ref('delivered_at'), 'is', null)
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropIndex('gateway_outbox_lane_idx').ifExists().execute();
      await db.schema.alterTable('gateway_webhook_outbox').dropColumn('store_key').execute();
    },
  };
}
