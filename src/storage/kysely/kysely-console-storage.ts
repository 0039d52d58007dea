import type { CompiledQuery, Kysely } from 'kysely';
import type { AppDetails, ConsoleStorage, WebAccount, WebRealm } from '../console-ports.js';
import { splitScope, toGrant } from './grant-row.js';
import { DuplicateError, storesOf, type AppStatus } from '../ports.js';
import type { Database } from './schema.js';
import { precompile } from './compiled-query.js';

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function toAccount(r: Omit<Database['web_accounts'], 'account_id'> & { account_id: number }): WebAccount {
  return {
    accountId: Number(r.account_id),
    realm: r.realm as WebRealm,
    username: r.username,
    passwordHash: r.password_hash,
    createdAt: Number(r.created_at),
    totpSecret: r.totp_secret ?? null,
    totpEnabledAt: num(r.totp_enabled_at),
    totpLastStep: num(r.totp_last_step),
  };
}

/** An `apps` row as the console's {@link AppDetails}. */
export function toDetails(r: Database['apps']): AppDetails {
  return {
    appKey: r.app_key,
    name: r.name,
    description: r.description ?? null,
    logoUrl: r.logo_url ?? null,
    webhookUrl: null,
    callbackUrls: JSON.parse(r.callback_urls) as string[],
    scopes: splitScope(r.scopes),
    status: r.status as AppStatus,
    developerId: num(r.developer_id),
    createdAt: Number(r.created_at),
    previousSecretExpiresAt: r.previous_secret_hash ? num(r.previous_secret_expires_at) : null,
    requireSubscription: Number(r.require_subscription ?? 0) === 1,
    purchaseUrl: r.purchase_url ?? null,
    reviewNote: r.review_note ?? null,
    reviewNoteAt: num(r.review_note_at),
  };
}

/** The Kysely implementation of the console ports (SQLite and PostgreSQL). */
export function createKyselyConsoleStorage(
  db: Kysely<Database>,
  /** How a hot read runs: SQLite's direct path when the connection is free (ADR 0058), else Kysely's. */
  read: <R>(q: CompiledQuery<R>) => Promise<R[]> = async (q) => (await db.executeQuery(q)).rows,
): ConsoleStorage {
  const appDetailsQuery = precompile(db, ['appKey'], (p) =>
    db.selectFrom('apps').selectAll().where('app_key', '=', p.appKey),
  );
  return {
    async createAccount(input) {
      try {
        const row = await db
          .insertInto('web_accounts')
          .values({
            realm: input.realm,
            username: input.username,
            password_hash: input.passwordHash,
            created_at: input.createdAt,
          })
          .returning(['account_id'])
          .executeTakeFirstOrThrow();
        return { accountId: Number(row.account_id), ...input };
      } catch (err) {
        if (isUniqueViolation(err)) throw new DuplicateError(`username "${input.username}" is already taken`);
        throw err;
      }
    },
    async findAccount(realm, username) {
      const r = await db
        .selectFrom('web_accounts')
        .selectAll()
        .where('realm', '=', realm)
        .where('username', '=', username)
        .executeTakeFirst();
      return r && toAccount(r);
    },
    async account(accountId) {
      const r = await db.selectFrom('web_accounts').selectAll().where('account_id', '=', accountId).executeTakeFirst();
      return r && toAccount(r);
    },
    async setTotp(accountId, sealedSecret, enabledAt) {
      await db
        .updateTable('web_accounts')
        .set({ totp_secret: sealedSecret, totp_enabled_at: enabledAt, totp_last_step: null })
        .where('account_id', '=', accountId)
        .execute();
    },
    async acceptTotpStep(accountId, step) {
      const r = await db
        .updateTable('web_accounts')
        .set({ totp_last_step: step })
        .where('account_id', '=', accountId)
        .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async replaceRecoveryCodes(accountId, codeHashes, now) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('web_recovery_codes').where('account_id', '=', accountId).execute();
        if (codeHashes.length > 0)
          await trx
            .insertInto('web_recovery_codes')
            .values(codeHashes.map((h) => ({ code_hash: h, account_id: accountId, created_at: now, used_at: null })))
            .execute();
      });
    },
    async useRecoveryCode(accountId, codeHash, now) {
      const r = await db
        .updateTable('web_recovery_codes')
        .set({ used_at: now })
        .where('code_hash', '=', codeHash)
        .where('account_id', '=', accountId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async resetTotp(accountId) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('web_accounts')
          .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
          .where('account_id', '=', accountId)
          .execute();
        await trx.deleteFrom('web_recovery_codes').where('account_id', '=', accountId).execute();
        await trx.deleteFrom('web_sessions').where('account_id', '=', accountId).execute();
      });
    },
    async recoveryCodesLeft(accountId) {
      const r = await db
        .selectFrom('web_recovery_codes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('account_id', '=', accountId)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    async setReviewNote(appKey, note, at) {
      await db
        .updateTable('apps')
        .set({ review_note: note, review_note_at: at })
        .where('app_key', '=', appKey)
        .execute();
    },
    async accountNames(accountIds) {
      const ids = [...new Set(accountIds)];
      const out = new Map<number, string>();
      if (ids.length === 0) return out;
      const rows = await db
        .selectFrom('web_accounts')
        .select(['account_id', 'username'])
        .where('account_id', 'in', ids)
        .execute();
      for (const r of rows) out.set(Number(r.account_id), r.username);
      return out;
    },
    async setAccountPassword(accountId, passwordHash) {
      await db
        .updateTable('web_accounts')
        .set({ password_hash: passwordHash })
        .where('account_id', '=', accountId)
        .execute();
    },

    async createSession(s) {
      await db
        .insertInto('web_sessions')
        .values({
          id_hash: s.idHash,
          realm: s.realm,
          account_id: s.accountId,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
        })
        .execute();
    },
    async findSession(idHash, realm, now) {
      const r = await db
        .selectFrom('web_sessions')
        .selectAll()
        .where('id_hash', '=', idHash)
        .where('realm', '=', realm)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return (
        r && {
          idHash: r.id_hash,
          realm: r.realm as WebRealm,
          accountId: Number(r.account_id),
          createdAt: Number(r.created_at),
          expiresAt: Number(r.expires_at),
        }
      );
    },
    async deleteSession(idHash) {
      await db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
    },
    async deleteSellerSessions(sellerId) {
      await db.deleteFrom('seller_sessions').where('seller_id', '=', sellerId).execute();
    },

    async appDetails(appKey) {
      // Read on every authorize page (the app's logo): compiled once, on the direct read path (docs/adr/0170, 0189).
      const r = (await read(appDetailsQuery.bind({ appKey })))[0];
      return r && toDetails(r);
    },
    async appsOfDeveloper(developerId) {
      const rows = await db
        .selectFrom('apps')
        .selectAll()
        .where('developer_id', '=', developerId)
        .orderBy('created_at', 'desc')
        .orderBy('app_key')
        .execute();
      return rows.map(toDetails);
    },
    async allApps() {
      const rows = await db.selectFrom('apps').selectAll().orderBy('created_at', 'desc').orderBy('app_key').execute();
      const rank: Record<string, number> = { submitted: 0, testing: 1, live: 2, suspended: 3 };
      return rows.map(toDetails).sort((a, b) => (rank[a.status] ?? 9) - (rank[b.status] ?? 9));
    },
    async liveGrantCount(appKey) {
      const r = await db
        .selectFrom('grants')
        .select((eb) => eb.fn.count<number>('grant_id').as('n'))
        .where('app_key', '=', appKey)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },

    async authorizationsOfSeller(sellerId) {
      const rows = await db
        .selectFrom('grants as g')
        .innerJoin('apps as a', 'a.app_key', 'g.app_key')
        .selectAll('g')
        .select(['a.name as app_name', 'a.logo_url as app_logo_url'])
        .select((eb) =>
          eb
            .selectFrom('tokens as t')
            .whereRef('t.grant_id', '=', 'g.grant_id')
            .select((e) => e.fn.max('t.created_at').as('m'))
            .as('last_used_at'),
        )
        .where('g.seller_id', '=', sellerId)
        .where('g.revoked_at', 'is', null)
        .orderBy('g.created_at', 'desc')
        .execute();
      // The seller's stores, once: a grant names several (docs/adr/0135).
      const names = new Map(
        (await db.selectFrom('stores').select(['store_id', 'name']).where('seller_id', '=', sellerId).execute()).map(
          (st) => [Number(st.store_id), st.name],
        ),
      );
      return rows.map((r) => {
        const grant = toGrant(r);
        const stores = storesOf(grant).map((storeId) => ({ storeId, name: names.get(storeId) ?? String(storeId) }));
        return {
          grant,
          appName: r.app_name,
          appLogoUrl: r.app_logo_url ?? null,
          storeName: stores.map((st) => st.name).join(', '),
          stores,
          lastUsedAt: num(r.last_used_at),
        };
      });
    },
    async revokeAllOfSeller(sellerId, now, reason) {
      return db.transaction().execute(async (trx) => {
        const live = await trx
          .selectFrom('grants')
          .selectAll()
          .where('seller_id', '=', sellerId)
          .where('revoked_at', 'is', null)
          .execute();
        if (live.length > 0) {
          await trx
            .updateTable('grants')
            .set({ revoked_at: now, revoked_reason: reason })
            .where('seller_id', '=', sellerId)
            .where('revoked_at', 'is', null)
            .execute();
        }
        return live.map((r) => ({ ...toGrant(r), revokedAt: now, revokedReason: reason }));
      });
    },

    async addSandboxSeller(sellerId, developerId) {
      await db.insertInto('sandbox_sellers').values({ seller_id: sellerId, developer_id: developerId }).execute();
    },
    async sandboxOwner(sellerId) {
      const r = await db
        .selectFrom('sandbox_sellers')
        .select('developer_id')
        .where('seller_id', '=', sellerId)
        .executeTakeFirst();
      return r ? Number(r.developer_id) : undefined;
    },
    async sandboxSellersOf(developerId) {
      const rows = await db
        .selectFrom('sandbox_sellers as x')
        .innerJoin('sellers as s', 's.seller_id', 'x.seller_id')
        .select(['s.seller_id', 's.username'])
        .where('x.developer_id', '=', developerId)
        .orderBy('s.seller_id')
        .execute();
      return rows.map((r) => ({ sellerId: Number(r.seller_id), username: r.username }));
    },

    async recentAudit(limit) {
      const rows = await db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        at: Number(r.at),
        actor: r.actor,
        event: r.event,
        appKey: r.app_key,
        sellerId: num(r.seller_id),
        subject: r.subject,
        detail: r.detail,
      }));
    },
  };
}
