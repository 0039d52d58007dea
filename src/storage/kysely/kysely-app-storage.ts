import { sql, type Kysely, type Transaction } from 'kysely';
import { DuplicateError, type AppChanges, type AppRecord, type AppRepository, type AppStatus } from '../ports.js';
import { appendAudit } from './audit.js';
import { upsertGatewayApp } from './kysely-gateway-storage.js';
import type { Database } from './schema.js';

import { splitScope } from './grant-row.js';

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** An `apps` row as the core sees it. */
export function toApp(r: Database['apps']): AppRecord {
  return {
    appKey: r.app_key,
    name: r.name,
    secretHash: r.secret_hash,
    callbackUrls: JSON.parse(r.callback_urls) as string[],
    scopes: splitScope(r.scopes),
    status: r.status as AppStatus,
    createdAt: Number(r.created_at),
    // 0004_console: the secret before a rotation, only while one is kept (docs/adr/0060).
    ...(r.previous_secret_hash
      ? {
          previousSecretHash: r.previous_secret_hash,
          previousSecretExpiresAt: Number(r.previous_secret_expires_at ?? 0),
        }
      : {}),
    // 0017_subscriptions (docs/adr/0140).
    requireSubscription: Number(r.require_subscription ?? 0) === 1,
    purchaseUrl: r.purchase_url ?? null,
  };
}

/** Escape LIKE wildcards so that a search for `50%` finds "50%", not everything. */
const likePattern = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The Kysely implementation of the app repository (SQLite and PostgreSQL): the `apps` row and
 * the gateway's `gateway_apps` row of an app change together, in one transaction (docs/adr/0130).
 */
export function createKyselyAppRepository(db: Kysely<Database>): AppRepository {
  const exists = async (trx: Transaction<Database>, appKey: string) =>
    (await trx.selectFrom('apps').select('app_key').where('app_key', '=', appKey).executeTakeFirst()) !== undefined;
  return {
    async create(app, secret, audit) {
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('apps')
            .values({
              app_key: app.appKey,
              name: app.name,
              secret_hash: app.secretHash,
              callback_urls: JSON.stringify(app.callbackUrls),
              scopes: app.scopes.join(' '),
              status: app.status,
              created_at: app.createdAt,
              require_subscription: app.requireSubscription ? 1 : 0,
              purchase_url: app.purchaseUrl ?? null,
            })
            .execute();
          // The gateway checks TOP signatures with the secret itself, kept sealed (docs/adr/0030).
          await upsertGatewayApp(trx, app.appKey, { sealedSecret: secret.sealedSecret });
          await appendAudit(trx, {
            at: app.createdAt,
            event: 'app.created',
            actor: audit?.actor ?? null,
            appKey: app.appKey,
            sellerId: null,
            subject: app.appKey,
            detail: {
              name: app.name,
              callbacks: app.callbackUrls,
              scopes: app.scopes,
              status: app.status,
              ...(app.requireSubscription ? { require_subscription: true, purchase_url: app.purchaseUrl ?? null } : {}),
            },
          });
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new DuplicateError(`app_key ${app.appKey} already exists`);
        throw err;
      }
    },
    async find(appKey) {
      const r = await db.selectFrom('apps').selectAll().where('app_key', '=', appKey).executeTakeFirst();
      return r && toApp(r);
    },
    async update(appKey, c: AppChanges, audit) {
      const row: Partial<Database['apps']> = {};
      if (c.name !== undefined) row.name = c.name;
      if (c.callbackUrls !== undefined) row.callback_urls = JSON.stringify(c.callbackUrls);
      if (c.scopes !== undefined) row.scopes = c.scopes.join(' ');
      if (c.status !== undefined) row.status = c.status;
      if (c.developerId !== undefined) row.developer_id = c.developerId;
      if (c.description !== undefined) row.description = c.description;
      if (c.logoUrl !== undefined) row.logo_url = c.logoUrl;
      if (c.requireSubscription !== undefined) row.require_subscription = c.requireSubscription ? 1 : 0;
      if (c.purchaseUrl !== undefined) row.purchase_url = c.purchaseUrl;
      const {
        webhookUrl,
        webhookSince,
        permissions,
        quotaPerDay,
        quotaPerSecond,
        receiverQuotaPerDay,
        fragmentRedirect,
        topics,
        authorizationSince,
      } = c;
      const gateway = Object.fromEntries(
        Object.entries({
          webhookUrl,
          webhookSince,
          permissions,
          quotaPerDay,
          quotaPerSecond,
          receiverQuotaPerDay,
          fragmentRedirect,
          topics,
          authorizationSince,
        }).filter(([, v]) => v !== undefined),
      );
      return db.transaction().execute(async (trx) => {
        if (!(await exists(trx, appKey))) return false;
        if (Object.keys(row).length > 0) await trx.updateTable('apps').set(row).where('app_key', '=', appKey).execute();
        if (Object.keys(gateway).length > 0) await upsertGatewayApp(trx, appKey, gateway);
        if (audit) await appendAudit(trx, audit);
        return true;
      });
    },
    async replaceSecret(appKey, change, audit) {
      return db.transaction().execute(async (trx) => {
        const before = await trx
          .selectFrom('apps')
          .leftJoin('gateway_apps', 'gateway_apps.app_key', 'apps.app_key')
          .select(['apps.secret_hash', 'gateway_apps.sealed_secret'])
          .where('apps.app_key', '=', appKey)
          .executeTakeFirst();
        if (!before) return false;
        const keep = change.keepCurrentUntil;
        await trx
          .updateTable('apps')
          .set({
            secret_hash: change.secretHash,
            ...(keep === undefined
              ? {}
              : { previous_secret_hash: keep === null ? null : before.secret_hash, previous_secret_expires_at: keep }),
          })
          .where('app_key', '=', appKey)
          .execute();
        // The sealed copy the gateway verifies signatures with: the current one kept as the previous
        // for the same window, never one without the other (docs/adr/0060).
        const keepSealed = keep !== null && keep !== undefined && before.sealed_secret ? before.sealed_secret : null;
        await upsertGatewayApp(trx, appKey, {
          sealedSecret: change.sealedSecret,
          ...(keep === undefined
            ? {}
            : { previousSealedSecret: keepSealed, previousSecretExpiresAt: keepSealed ? keep : null }),
        });
        if (audit) await appendAudit(trx, audit);
        return true;
      });
    },
    async endPreviousSecret(appKey, audit) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('apps')
          .set({ previous_secret_hash: null, previous_secret_expires_at: null })
          .where('app_key', '=', appKey)
          .execute();
        await trx
          .updateTable('gateway_apps')
          .set({ previous_sealed_secret: null, previous_secret_expires_at: null })
          .where('app_key', '=', appKey)
          .execute();
        if (audit) await appendAudit(trx, audit);
      });
    },
    async list(query) {
      let q = db.selectFrom('apps').selectAll();
      if (query.status !== undefined) q = q.where('status', '=', query.status);
      if (query.q !== undefined && query.q !== '') {
        const pattern = likePattern(query.q);
        q = q.where((eb) =>
          eb.or([
            sql<boolean>`lower(${eb.ref('name')}) like ${pattern} escape '\\'`,
            sql<boolean>`${eb.ref('app_key')} like ${pattern} escape '\\'`,
          ]),
        );
      }
      if (query.afterAppKey !== undefined) q = q.where('app_key', '>', query.afterAppKey);
      const rows = await q.orderBy('app_key').limit(query.limit).execute();
      return rows.map(toApp);
    },
  };
}
