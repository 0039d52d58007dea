import { sql, type CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { precompile } from './compiled-query.js';
import type { LimitStore } from '../ports.js';

const int = (v: number) => Math.floor(v);

/**
 * The {@link LimitStore} in the database (table `shared_limits`, migration 0012_shared_limits;
 * docs/adr/0110). Every method is one statement, atomic on SQLite and PostgreSQL alike: the
 * upserts read the row's old values in their `SET` clause, so `take` computes what it grants and
 * stores it in `taken` in the same step, and `RETURNING` hands it back. An expired row counts as
 * absent (the `CASE … expires_at <= now` arms) until the janitor deletes it.
 */
export function createKyselyLimitStore(
  db: Kysely<Database>,
  read?: <R>(q: CompiledQuery<R>) => Promise<R[]>,
): LimitStore {
  const expired = (now: number) => sql<boolean>`shared_limits.expires_at <= ${int(now)}`;
  // The lockout check runs on every token, revocation and introspection request and every sign-in
  // (one or two keys): compiled once, and on SQLite read at once when the connection is free.
  const liveQuery = (keys: string[]) =>
    db
      .selectFrom('shared_limits')
      .select((eb) => eb.fn.max('expires_at').as('until'))
      .where('name', 'in', keys);
  const live1 = precompile(db, ['a', 'now'], (p) =>
    liveQuery([p.a]).where('expires_at', '>', p.now as unknown as number),
  );
  const live2 = precompile(db, ['a', 'b', 'now'], (p) =>
    liveQuery([p.a, p.b]).where('expires_at', '>', p.now as unknown as number),
  );
  const run = async <R>(q: CompiledQuery<R>): Promise<R[]> => (read ? read(q) : (await db.executeQuery(q)).rows);
  return {
    kind: 'database',
    async add(key, by, expiresAt, now) {
      const r = await db
        .insertInto('shared_limits')
        .values({ name: key, count: int(by), taken: 0, expires_at: int(expiresAt) })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({
            count: sql<number>`case when ${expired(now)} then excluded.count else shared_limits.count + excluded.count end`,
            expires_at: sql<number>`case when ${expired(now)} then excluded.expires_at else shared_limits.expires_at end`,
          }),
        )
        .returning('count')
        .executeTakeFirstOrThrow();
      return Number(r.count);
    },
    async take(key, want, limit, expiresAt, now) {
      const w = Math.max(0, int(want));
      const l = int(limit);
      const first = Math.max(0, Math.min(w, l));
      // What a live row grants: all of `want` if it fits under `limit`, else the room left (>= 0).
      const grant = sql<number>`case when ${l} - shared_limits.count >= ${w} then ${w} when ${l} - shared_limits.count > 0 then ${l} - shared_limits.count else 0 end`;
      const r = await db
        .insertInto('shared_limits')
        .values({ name: key, count: first, taken: first, expires_at: int(expiresAt) })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({
            count: sql<number>`case when ${expired(now)} then excluded.count else shared_limits.count + ${grant} end`,
            taken: sql<number>`case when ${expired(now)} then excluded.taken else ${grant} end`,
            expires_at: sql<number>`case when ${expired(now)} then excluded.expires_at else shared_limits.expires_at end`,
          }),
        )
        .returning('taken')
        .executeTakeFirstOrThrow();
      return Number(r.taken);
    },
    async giveBack(key, n, now) {
      const k = int(n);
      if (k <= 0) return;
      await db
        .updateTable('shared_limits')
        .set({ count: sql<number>`case when count > ${k} then count - ${k} else 0 end` })
        .where('name', '=', key)
        .where('expires_at', '>', int(now))
        .execute();
    },
    async block(key, until, now) {
      await db
        .insertInto('shared_limits')
        .values({ name: key, count: 0, taken: 0, expires_at: int(until) })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({
            count: sql<number>`case when ${expired(now)} then 0 else shared_limits.count end`,
            expires_at: sql<number>`case when shared_limits.expires_at < excluded.expires_at then excluded.expires_at else shared_limits.expires_at end`,
          }),
        )
        .execute();
    },
    async liveUntil(keys, now) {
      if (keys.length === 0) return 0;
      const q =
        keys.length === 1
          ? live1.bind({ a: keys[0], now: int(now) })
          : keys.length === 2
            ? live2.bind({ a: keys[0], b: keys[1], now: int(now) })
            : liveQuery(keys).where('expires_at', '>', int(now)).compile();
      const r = (await run(q))[0];
      return r?.until === null || r?.until === undefined ? 0 : Number(r.until);
    },
    async delete(keys) {
      if (keys.length === 0) return;
      await db.deleteFrom('shared_limits').where('name', 'in', keys).execute();
    },
    async close() {},
  };
}
