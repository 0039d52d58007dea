import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { DialectName } from './database.js';
import type { KeyedAppSecrets, KeyedSuccessor, KeyedTotpSecret, ServerKeyRepository } from '../ports.js';

/**
 * Everything stored under the server key (docs/adr/0115): `apps.secret_hash` and
 * `previous_secret_hash` (keyed hashes, docs/adr/0003), `gateway_apps.sealed_secret` and
 * `previous_sealed_secret` (AES-256-GCM, docs/adr/0030), and `tokens.successor` (the refresh grace
 * window's sealed successor, docs/adr/0100), `web_accounts.totp_secret` (operator TOTP, docs/adr/0161). A new column
 * sealed or keyed with the
 * server key must be read and written here too, or `shouquan key rotate` leaves it unreadable.
 */
export function createKyselyKeyStorage(db: Kysely<Database>, dialect: DialectName): ServerKeyRepository {
  // gateway_apps is not in the core schema type (it belongs to the gateway's storage).
  const anyDb = db as unknown as Kysely<any>;
  return {
    async sealedSample() {
      const r = await anyDb
        .selectFrom('gateway_apps')
        .select(['app_key', 'sealed_secret'])
        .where('sealed_secret', 'is not', null)
        .limit(1)
        .executeTakeFirst();
      return r ? { appKey: String(r.app_key), sealed: String(r.sealed_secret) } : undefined;
    },

    async rekey(rewrite) {
      return anyDb.transaction().execute(async (trx) => {
        // No app may be created or rotated under the old key while the rows are rewritten.
        if (dialect === 'postgres')
          await sql`lock table apps, gateway_apps, settings in share row exclusive mode`.execute(trx);
        const rows = await trx
          .selectFrom('apps as a')
          .leftJoin('gateway_apps as g', 'g.app_key', 'a.app_key')
          .select([
            'a.app_key',
            'a.secret_hash',
            'a.previous_secret_hash',
            'g.sealed_secret',
            'g.previous_sealed_secret',
          ])
          .orderBy('a.app_key')
          .execute();
        const before: KeyedAppSecrets[] = rows.map((r) => ({
          appKey: String(r.app_key),
          secretHash: String(r.secret_hash),
          previousSecretHash: r.previous_secret_hash ?? null,
          sealedSecret: r.sealed_secret ?? null,
          previousSealedSecret: r.previous_sealed_secret ?? null,
        }));
        // Successors past their window are kept too (the janitor clears them): re-sealed like the rest.
        const successorRows = await trx
          .selectFrom('tokens')
          .select(['token_hash', 'successor'])
          .where('successor', 'is not', null)
          .orderBy('token_hash')
          .execute();
        const successors: KeyedSuccessor[] = successorRows.map((r) => ({
          tokenHash: String(r.token_hash),
          sealed: String(r.successor),
        }));
        // Operators' TOTP secrets (docs/adr/0161), sealed with their own purpose.
        const totpRows = await trx
          .selectFrom('web_accounts')
          .select(['account_id', 'totp_secret'])
          .where('totp_secret', 'is not', null)
          .orderBy('account_id')
          .execute();
        const totps: KeyedTotpSecret[] = totpRows.map((r) => ({
          accountId: Number(r.account_id),
          sealed: String(r.totp_secret),
        }));
        const out = rewrite(before, successors, totps);
        for (const t of out.totpSecrets)
          await trx
            .updateTable('web_accounts')
            .set({ totp_secret: t.sealed })
            .where('account_id', '=', t.accountId)
            .execute();
        for (const t of out.successors) {
          await trx
            .updateTable('tokens')
            .set(t.sealed === null ? { successor: null, grace_until: null } : { successor: t.sealed })
            .where('token_hash', '=', t.tokenHash)
            .execute();
        }
        for (const a of out.apps) {
          await trx
            .updateTable('apps')
            .set({ secret_hash: a.secretHash, previous_secret_hash: a.previousSecretHash })
            .where('app_key', '=', a.appKey)
            .execute();
          await trx
            .updateTable('gateway_apps')
            .set({ sealed_secret: a.sealedSecret, previous_sealed_secret: a.previousSealedSecret })
            .where('app_key', '=', a.appKey)
            .execute();
        }
        for (const [key, value] of Object.entries(out.setSettings)) {
          await trx
            .insertInto('settings')
            .values({ key, value })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
            .execute();
        }
        for (const key of out.deleteSettings) await trx.deleteFrom('settings').where('key', '=', key).execute();
        return out.result;
      });
    },
  };
}
