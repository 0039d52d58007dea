import { CompiledQuery, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { joinStoreIds, splitStoreIds } from './store-ids.js';
import { splitScope, toGrant } from './grant-row.js';
import type { DialectName } from './database.js';
import { createKyselyAppRepository } from './kysely-app-storage.js';
import { createKyselyConsoleStorage, toDetails } from './kysely-console-storage.js';
import { createKyselyManagementStorage } from './kysely-management-storage.js';
import { createKyselyGatewayStorage } from './kysely-gateway-storage.js';
import { createKyselyLimitStore } from './kysely-limit-store.js';
import { createKyselyKeyStorage } from './kysely-key-storage.js';
import { createKyselySubscriptionRepository } from './kysely-subscription-storage.js';
import {
  AUDIT_COLUMNS,
  appendAudit,
  auditInsert,
  auditRow,
  createAuditRepository,
  createMaintenanceRepository,
  hashRef,
  poolStatsOf,
} from './audit.js';
import { precompile, precompileInsert, type Precompiled, type PrecompiledInsert } from './compiled-query.js';
import { PgOneStatement } from './pg-one-statement.js';
import type { SqliteDirect } from './sqlite-group-commit-driver.js';
import {
  DuplicateError,
  storesOf,
  type AuditEvent,
  type CommitStats,
  type AuthCodeRecord,
  type GrantRecord,
  type InteractionPageReads,
  type InteractionRecord,
  type ReconsentRule,
  type RedeemResult,
  type RotateResult,
  type SealedSuccessor,
  type SellerRecord,
  type SellerSource,
  type SessionRecord,
  type Storage,
  type StoreRecord,
  type TokenKind,
  type TokenRecord,
  type TokenWithGrant,
} from '../ports.js';

type Db = Kysely<Database> | Transaction<Database>;

const joinScope = (s: string[]) => s.join(' ');
/** `a` then whatever of `b` it lacks, in order. */
const union = <T>(a: T[], b: T[]): T[] => [...a, ...b.filter((x) => !a.includes(x))];

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function toSeller(r: Selectable<Database['sellers']>): SellerRecord {
  return {
    sellerId: Number(r.seller_id),
    username: r.username,
    passwordHash: r.password_hash,
    createdAt: Number(r.created_at),
    source: (r.source ?? 'builtin') as SellerSource,
    externalId: r.external_id ?? null,
    nick: r.nick ?? null,
    disabledAt: r.disabled_at == null ? null : Number(r.disabled_at),
  };
}

function toStore(r: Selectable<Database['stores']>): StoreRecord {
  return {
    storeId: Number(r.store_id),
    sellerId: Number(r.seller_id),
    name: r.name,
    externalId: r.external_id ?? null,
  };
}

function tokenRow(t: TokenRecord): Database['tokens'] {
  return {
    token_hash: t.tokenHash,
    kind: t.kind,
    grant_id: t.grantId,
    app_key: t.appKey,
    scope: joinScope(t.scope),
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    revoked_at: t.revokedAt,
    rotated_at: t.rotatedAt,
    store_ids: t.storeIds && t.storeIds.length > 0 ? joinStoreIds(t.storeIds) : null,
    code_hash: t.codeHash ?? null,
  };
}

function grantRow(g: GrantRecord): Database['grants'] {
  return {
    grant_id: g.grantId,
    app_key: g.appKey,
    seller_id: g.sellerId,
    store_id: g.storeId,
    scope: joinScope(g.scope),
    created_at: g.createdAt,
    revoked_at: g.revokedAt,
    revoked_reason: g.revokedReason,
    store_ids: joinStoreIds(storesOf(g)),
  };
}

/** The sealed successor kept on a rotated refresh token row, if any (docs/adr/0100). */
function successorOf(r: { successor?: string | null; grace_until?: number | string | null }): SealedSuccessor | null {
  return r.successor && r.grace_until !== null && r.grace_until !== undefined
    ? { sealed: r.successor, graceUntil: Number(r.grace_until) }
    : null;
}

/** The INSERTs every grant writes, compiled once per storage (docs/adr/0054). */
interface GrantInserts {
  tokens: PrecompiledInsert<Database['tokens']>;
  grants: PrecompiledInsert<Database['grants']>;
}

const TOKEN_COLUMNS = [
  'token_hash',
  'kind',
  'grant_id',
  'app_key',
  'scope',
  'created_at',
  'expires_at',
  'revoked_at',
  'rotated_at',
  'store_ids',
  'code_hash',
] as const;
const INTERACTION_COLUMNS = ['id', 'browser_hash', 'request', 'created_at', 'expires_at', 'consumed_at'] as const;
const CODE_COLUMNS = [
  'code_hash',
  'app_key',
  'seller_id',
  'store_id',
  'redirect_uri',
  'redirect_uri_sent',
  'scope',
  'code_challenge',
  'code_challenge_method',
  'created_at',
  'expires_at',
  'consumed_at',
  'grant_id',
  'store_ids',
] as const;
const GRANT_COLUMNS = [
  'grant_id',
  'app_key',
  'seller_id',
  'store_id',
  'scope',
  'created_at',
  'revoked_at',
  'revoked_reason',
  'store_ids',
] as const;
/** The PostgreSQL types of those columns (migrations 0001, 0016), for the statement below. */
const CODE_COLUMN_TYPES: Record<(typeof CODE_COLUMNS)[number], string> = {
  code_hash: 'text',
  app_key: 'text',
  seller_id: 'bigint',
  store_id: 'bigint',
  redirect_uri: 'text',
  redirect_uri_sent: 'integer',
  scope: 'text',
  code_challenge: 'text',
  code_challenge_method: 'text',
  created_at: 'bigint',
  expires_at: 'bigint',
  consumed_at: 'bigint',
  grant_id: 'text',
  store_ids: 'text',
};
/**
 * PostgreSQL: consume an interaction and insert its code in one statement (one round trip, atomic):
 * the code row is inserted only when the UPDATE consumed the interaction. $1 now, $2 id, $3 now,
 * then the code's columns in {@link CODE_COLUMNS} order.
 */
const PG_CONSUME_WITH_CODE =
  'with consumed as (update "interactions" set "consumed_at" = $1 where "id" = $2 and "consumed_at" is null and "expires_at" > $3 returning "id") ' +
  `insert into "auth_codes" (${CODE_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
  `select ${CODE_COLUMNS.map((c, i) => `$${i + 4}::${CODE_COLUMN_TYPES[c]}`).join(', ')} from consumed`;

/**
 * PostgreSQL: the seller's authorize page in one statement (docs/adr/0189) — the interaction, the live session's
 * seller, and as asked that seller's stores, the interaction's app row and the seller's live grant for the app, each
 * a JSON column (row_to_json; bigint columns come back as JSON numbers, every value here is below 2^53). The same
 * SQL as the separate reads it replaces, joined on what they took from each other: the app key is the interaction's
 * (`request` is its JSON), the seller id the session's. $1 interaction id, $2 session id hash (null: no session),
 * $3 now.
 */
function pgPageStatement(want: { stores?: boolean; appDetails?: boolean; liveGrant?: boolean }): string {
  const appKey = `(select ("request"::json)->>'appKey' from "i")`;
  const sellerId = `(select "seller_id" from "s")`;
  const cols = [
    `(select row_to_json("i") from "i") as "interaction"`,
    `(select row_to_json("s") from "s") as "seller"`,
  ];
  if (want.stores)
    cols.push(
      `(select coalesce(json_agg("st" order by "st"."store_id"), '[]'::json) from "stores" as "st" where "st"."seller_id" = ${sellerId} and "st"."detached_at" is null) as "stores"`,
    );
  if (want.appDetails)
    cols.push(`(select row_to_json("a") from "apps" as "a" where "a"."app_key" = ${appKey}) as "app"`);
  if (want.liveGrant)
    cols.push(
      `(select row_to_json("g") from "grants" as "g" where "g"."app_key" = ${appKey} and "g"."seller_id" = ${sellerId} and "g"."revoked_at" is null limit 1) as "live"`,
    );
  return (
    `with "i" as (select * from "interactions" where "id" = $1), ` +
    `"s" as (select "sellers".* from "seller_sessions" inner join "sellers" on "sellers"."seller_id" = "seller_sessions"."seller_id" where "seller_sessions"."id_hash" = $2 and "seller_sessions"."expires_at" > $3) ` +
    `select ${cols.join(', ')}`
  );
}
const pgPageStatements = new Map<string, string>();

/** An `interactions` row as the ports' {@link InteractionRecord}. */
function toInteraction(r: Selectable<Database['interactions']>): InteractionRecord {
  return {
    id: r.id,
    browserHash: r.browser_hash,
    request: JSON.parse(r.request),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    consumedAt: r.consumed_at === null ? null : Number(r.consumed_at),
  };
}

/** The auth_codes row of a code. */
function codeRow(c: AuthCodeRecord): Database['auth_codes'] {
  return {
    code_hash: c.codeHash,
    app_key: c.appKey,
    seller_id: c.sellerId,
    store_id: c.storeId,
    redirect_uri: c.redirectUri,
    redirect_uri_sent: c.redirectUriSent ? 1 : 0,
    scope: joinScope(c.scope),
    code_challenge: c.codeChallenge,
    code_challenge_method: c.codeChallengeMethod,
    created_at: c.createdAt,
    expires_at: c.expiresAt,
    consumed_at: c.consumedAt,
    grant_id: c.grantId,
    // 0016: only when the seller ticked more than one store.
    store_ids: storesOf(c).length > 1 ? joinStoreIds(storesOf(c)) : null,
  };
}

/**
 * Run one compiled statement inside the current transaction: through Kysely, or straight on
 * SQLite's statement cache (docs/adr/0058). The grant transactions are written once, against this.
 */
type Exec = (q: CompiledQuery) => Promise<ExecResult> | ExecResult;
interface ExecResult {
  rows: unknown[];
  changes: number;
}
const viaKysely =
  (on: Kysely<any>): Exec =>
  async (q) => {
    const r = await on.executeQuery(q);
    return { rows: r.rows, changes: Number(r.numAffectedRows ?? 0) };
  };

/** The statements of a grant transaction that are not plain INSERTs. */
interface GrantStatements {
  endLiveGrants: Precompiled<{ grant_id: string }, 'now' | 'appKey' | 'sellerId'>;
  /** The live grant of a seller for an app, locked for the transaction on PostgreSQL. */
  liveGrant: Precompiled<Database['grants'], 'appKey' | 'sellerId'>;
  extendGrant: Precompiled<unknown, 'storeIds' | 'scope' | 'grantId'>;
  setCodeGrant: Precompiled<unknown, 'grantId' | 'hash'>;
}

/**
 * Place a grant and its tokens (`GrantRepository.createWithTokens`): under `add`, into the live
 * grant of the seller for the app when there is one (its stores and scope grow, nothing dies);
 * else end that live grant and create this one. Returns the grant as stored.
 */
async function placeGrant(
  exec: Exec,
  db: Db,
  q: GrantStatements,
  inserts: GrantInserts,
  now: number,
  grant: GrantRecord,
  tokens: TokenRecord[],
  reconsent: ReconsentRule = 'replace',
  via = 'authorization_code',
): Promise<GrantRecord> {
  if (reconsent === 'add') {
    const live = (await exec(q.liveGrant.bind({ appKey: grant.appKey, sellerId: grant.sellerId }))).rows[0] as
      Database['grants'] | undefined;
    if (live) {
      const current = toGrant(live);
      const currentStores = storesOf(current);
      const storeIds = union(currentStores, storesOf(grant));
      const scope = union(current.scope, grant.scope);
      await exec(
        q.extendGrant.bind({ storeIds: joinStoreIds(storeIds), scope: joinScope(scope), grantId: current.grantId }),
      );
      // The new tokens cover the whole grant as it now stands; earlier tokens keep their stores.
      const rows = tokens.map((t) => tokenRow({ ...t, grantId: current.grantId, storeIds }));
      if (rows.length > 0) for (const stmt of inserts.tokens.bind(rows)) await exec(stmt);
      const event: AuditEvent = {
        at: now,
        event: 'grant.extended',
        actor: `seller:${grant.sellerId}`,
        appKey: grant.appKey,
        sellerId: grant.sellerId,
        subject: current.grantId,
        detail: {
          via,
          added: storesOf(grant).filter((id) => !currentStores.includes(id)),
          storeIds,
          scope: scope.join(' '),
        },
      };
      for (const stmt of auditInsert(db).bind([auditRow(event)])) await exec(stmt);
      return { ...current, storeIds, scope };
    }
    // No live grant: create one, never end another. A grant a concurrent consent committed since
    // the SELECT above must not be "replaced": the INSERT then hits the unique live-grant index,
    // and the retry (withRetry) adds to that grant instead.
    await replaceGrant(exec, db, q, inserts, now, grant, tokens, via, false);
    return { ...grant, storeIds: storesOf(grant) };
  }
  await replaceGrant(exec, db, q, inserts, now, grant, tokens, via);
  return { ...grant, storeIds: storesOf(grant) };
}

/** End the seller's other live grants for the app, then create the new grant and its tokens. */
async function replaceGrant(
  exec: Exec,
  db: Db,
  q: GrantStatements,
  inserts: GrantInserts,
  now: number,
  grant: GrantRecord,
  tokens: TokenRecord[],
  via = 'authorization_code',
  endLive = true,
): Promise<void> {
  const replaced = endLive
    ? ((await exec(q.endLiveGrants.bind({ now, appKey: grant.appKey, sellerId: grant.sellerId }))).rows as Array<{
        grant_id: string;
      }>)
    : [];
  for (const stmt of inserts.grants.bind([grantRow(grant)])) await exec(stmt);
  if (tokens.length > 0) for (const stmt of inserts.tokens.bind(tokens.map(tokenRow))) await exec(stmt);
  const who = { actor: `seller:${grant.sellerId}`, appKey: grant.appKey, sellerId: grant.sellerId };
  const events: AuditEvent[] = replaced.map((r) => ({
    at: now,
    event: 'grant.revoked',
    ...who,
    subject: r.grant_id,
    detail: { reason: 'replaced', by: grant.grantId },
  }));
  events.push({
    at: now,
    event: 'grant.created',
    ...who,
    subject: grant.grantId,
    detail: { via, storeId: grant.storeId, storeIds: storesOf(grant), scope: grant.scope.join(' ') },
  });
  for (const stmt of auditInsert(db).bind(events.map(auditRow))) await exec(stmt);
}

/** The precompiled statements {@link redeemOnPostgres} starts from. */
interface RedeemStatements {
  consumeCode: Precompiled<unknown, 'now' | 'grantId' | 'hash'>;
  codeGrant: Precompiled<unknown, 'hash'>;
}

/**
 * `redeemAuthCode` on PostgreSQL (docs/adr/0186): the same writes as {@link placeGrant} in fewer round trips.
 * - `replace` (and `add` when the seller has no live grant for the app is decided inside the same statement):
 *   ONE statement — consume the code (the gate), end the seller's live grants for the app, insert the grant,
 *   its tokens and the audit entries, each only when the code was consumed.
 * - `add`: one statement too — lock the live grant (`FOR UPDATE`, so a concurrent consent's extension is what
 *   it merges into), consume the code, then extend that grant (stores and scopes merged in SQL, in the order
 *   `union` keeps) or create one, with the tokens and the audit entry.
 * A lost race reads who won, as before: `already_used` with the winner's grant, or `not_found`.
 */
async function redeemOnPostgres(
  db: Db,
  q: RedeemStatements,
  input: { codeHash: string; now: number; grant: GrantRecord; tokens: TokenRecord[]; reconsent?: ReconsentRule },
): Promise<RedeemResult> {
  const { codeHash, now, grant, tokens } = input;
  const consume = q.consumeCode.bind({ now, grantId: grant.grantId, hash: codeHash });
  const lost = async (on: Db): Promise<RedeemResult> => {
    const existing = (await on.executeQuery(q.codeGrant.bind({ hash: codeHash }))).rows[0] as
      { grant_id: string | null } | undefined;
    return existing ? { status: 'already_used', grantId: existing.grant_id } : { status: 'not_found' };
  };
  const who = { actor: `seller:${grant.sellerId}`, appKey: grant.appKey, sellerId: grant.sellerId };
  const created = (via: string): AuditEvent => ({
    at: now,
    event: 'grant.created',
    ...who,
    subject: grant.grantId,
    detail: { via, storeId: grant.storeId, storeIds: storesOf(grant), scope: grant.scope.join(' ') },
  });
  // The new grant, its tokens and its 'grant.created' entry, each written once `after` has a row.
  const insertGrant = (st: PgOneStatement, after: string, where?: string) => {
    st.with('grant', `${st.insertRow('grants', GRANT_COLUMNS, grantRow(grant), after, where)} returning 1`);
    tokens.forEach((t, i) => st.with(`t${i}`, st.insertRow('tokens', TOKEN_COLUMNS, tokenRow(t), '"grant"')));
  };

  if ((input.reconsent ?? 'replace') === 'replace') {
    const st = new PgOneStatement(consume).with('gate', `${consume.sql} returning 1`);
    st.with(
      'ended',
      `update "grants" set "revoked_at" = ${st.p(now)}, "revoked_reason" = 'replaced' where "app_key" = ${st.p(grant.appKey)}` +
        ` and "seller_id" = ${st.p(grant.sellerId)} and "revoked_at" is null and exists (select 1 from "gate") returning "grant_id"`,
    );
    // After "ended": the unique index allows one live grant per seller and app.
    insertGrant(st, '"gate"', '(select count(*) from "ended") >= 0');
    const revoked = auditRow({ at: now, event: 'grant.revoked', ...who, subject: '', detail: null });
    st.with(
      'revoked',
      `insert into "audit_log" (${AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ')}) select ${st.p(revoked.at)}, ` +
        `${st.p(revoked.event)}, ${st.p(revoked.actor)}, ${st.p(revoked.app_key)}, ${st.p(revoked.seller_id)}, ` +
        `"ended"."grant_id", ${st.p(JSON.stringify({ reason: 'replaced', by: grant.grantId }))} from "ended" returning 1`,
    );
    // In the order the transaction wrote them: the ended grants' entries, then the new one's.
    st.with(
      'created',
      st.insertRow(
        'audit_log',
        AUDIT_COLUMNS,
        auditRow(created('authorization_code')),
        '"grant"',
        '(select count(*) from "revoked") >= 0',
      ),
    );
    const r = await db.executeQuery(st.build<{ gated: number }>('select count(*)::int as "gated" from "gate"'));
    if (Number(r.rows[0]?.gated) !== 1) return lost(db);
    return { status: 'redeemed', grant: { ...grant, storeIds: storesOf(grant) } };
  }

  // `add`, one statement as well. Order inside it: "live" locks the seller's live grant for the app (FOR UPDATE:
  // a concurrent consent's extension commits first and is what we read), "gate" consumes the code and points it at
  // that grant (or at the new one), then either "ext" merges the stores and scopes into the live grant or "newg"
  // creates the grant; the tokens and the audit entry follow whichever ran. A row may be changed only once per
  // statement, which is why the code's grant_id is set by the gate itself.
  const st = new PgOneStatement();
  const a = st.p(grant.appKey);
  const sellerParam = st.p(grant.sellerId);
  st.with(
    'live',
    'select "grant_id", "store_id", "store_ids", "scope" from "grants" ' +
      `where "app_key" = ${a} and "seller_id" = ${sellerParam} and "revoked_at" is null for update`,
  );
  st.with(
    'gate',
    `update "auth_codes" set "consumed_at" = ${st.p(now)}, "grant_id" = coalesce((select "grant_id" from "live"), ` +
      `${st.p(grant.grantId)}) where "code_hash" = ${st.p(codeHash)} and "consumed_at" is null returning 1`,
  );
  // The union of two space-separated lists, in order: the first's items, then the second's that are new (as `union`).
  const union2 = (first: string, second: string) =>
    `array_to_string(array(select "v" from (select "v", 0 as "s", "o" from unnest(string_to_array(${first}, ' ')) ` +
    `with ordinality as "x"("v", "o") union all select "v", 1, "o" from unnest(string_to_array(${second}, ' ')) ` +
    `with ordinality as "y"("v", "o") where "v" <> all(string_to_array(${first}, ' '))) as "z" order by "s", "o"), ' ')`;
  const liveStores = `coalesce("live"."store_ids", "live"."store_id"::text)`;
  const newStores = st.p(joinStoreIds(storesOf(grant)));
  st.with(
    'ext',
    `update "grants" set "store_ids" = ${union2(liveStores, `${newStores}::text`)}, ` +
      `"scope" = ${union2('"live"."scope"', `${st.p(joinScope(grant.scope))}::text`)} ` +
      'from "live" where "grants"."grant_id" = "live"."grant_id" and exists (select 1 from "gate") ' +
      `returning "grants".*, ${liveStores} as "old_store_ids"`,
  );
  st.with(
    'newg',
    `${st.insertRow('grants', GRANT_COLUMNS, grantRow(grant), '"gate"', 'not exists (select 1 from "live")')} returning 1`,
  );
  tokens.forEach((t, i) => {
    const row = tokenRow(t);
    // Into the live grant: its id and the stores it now has (earlier tokens keep theirs).
    const cols = TOKEN_COLUMNS.map((c) => `"${c}"`).join(', ');
    const values = TOKEN_COLUMNS.map((c) =>
      c === 'grant_id' ? '"ext"."grant_id"' : c === 'store_ids' ? '"ext"."store_ids"' : st.p(row[c] ?? null),
    ).join(', ');
    st.with(`te${i}`, `insert into "tokens" (${cols}) select ${values} from "ext"`);
    st.with(`tn${i}`, st.insertRow('tokens', TOKEN_COLUMNS, row, '"newg"'));
  });
  const storeArray = (list: string) =>
    `array(select "v"::bigint from unnest(string_to_array(${list}, ' ')) with ordinality as "u"("v", "o") order by "o")`;
  const extended = auditRow({ at: now, event: 'grant.extended', ...who, subject: '', detail: null });
  st.with(
    'extended_entry',
    `insert into "audit_log" (${AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ')}) select ${st.p(extended.at)}, ` +
      `${st.p(extended.event)}, ${st.p(extended.actor)}, ${st.p(extended.app_key)}, ${st.p(extended.seller_id)}, ` +
      `"ext"."grant_id", json_build_object('via', 'authorization_code', 'added', array(select "v"::bigint from ` +
      `unnest(string_to_array(${newStores}::text, ' ')) with ordinality as "n"("v", "o") where "v" <> ` +
      `all(string_to_array("ext"."old_store_ids", ' ')) order by "o"), 'storeIds', ${storeArray('"ext"."store_ids"')}, ` +
      `'scope', "ext"."scope")::text from "ext"`,
  );
  st.with('created', st.insertRow('audit_log', AUDIT_COLUMNS, auditRow(created('authorization_code')), '"newg"'));
  const r = await db.executeQuery(
    st.build<Database['grants'] & { gated: number }>(
      'select (select count(*)::int from "gate") as "gated", "ext".* from (select 1) as "one" left join "ext" on true',
    ),
  );
  const row = r.rows[0];
  if (Number(row?.gated) !== 1) return lost(db);
  if (!row!.grant_id) return { status: 'redeemed', grant: { ...grant, storeIds: storesOf(grant) } };
  return { status: 'redeemed', grant: toGrant(row as Database['grants']) };
}

/** Run a transaction, retrying once when a concurrent writer hit the same unique key. */
async function withRetry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return run();
  }
}

/** The one Kysely implementation of the storage ports, for SQLite and PostgreSQL. */
export function createKyselyStorage(
  db: Kysely<Database>,
  dialect: DialectName,
  extras: { pool?: import('pg').Pool; commitStats?: () => CommitStats | undefined; direct?: SqliteDirect } = {},
): Storage {
  const { direct } = extras;
  /** One transaction over {@link Exec}: SQLite's direct path when there is one, else Kysely's. */
  const transaction = <T>(fn: (exec: Exec) => Promise<T>): Promise<T> =>
    direct ? direct.transaction(fn) : db.transaction().execute((trx) => fn(viaKysely(trx)));
  /** A read: at once on SQLite when the connection is free, else through Kysely. */
  const read = async <R>(q: CompiledQuery<R>): Promise<R[]> => direct?.tryRead<R>(q) ?? (await db.executeQuery(q)).rows;
  /**
   * One write statement, its changed-row count: on SQLite a direct transaction that joins the open
   * commit group (ADR 0050, 0058) instead of a write that commits alone; elsewhere as it is.
   */
  const write = async (q: CompiledQuery): Promise<number> =>
    direct ? direct.transaction((run) => run(q).changes) : Number((await db.executeQuery(q)).numAffectedRows ?? 0);
  // The hottest queries, built and compiled once (docs/benchmarks.md: the Kysely builder cost
  // more CPU than SQLite itself on token lookups). Same SQL as the builder calls they replace.
  const hot = {
    findToken: precompile(db, ['hash'], (p) =>
      db
        .selectFrom('tokens as t')
        .innerJoin('grants as g', 'g.grant_id', 't.grant_id')
        .select([
          't.token_hash',
          't.kind',
          't.grant_id',
          't.app_key',
          't.scope',
          't.created_at',
          't.expires_at',
          't.revoked_at',
          't.rotated_at',
          't.store_ids as token_store_ids',
          't.successor',
          't.grace_until',
          't.code_hash',
          'g.seller_id',
          'g.store_id',
          'g.store_ids',
          'g.scope as grant_scope',
          'g.created_at as grant_created_at',
          'g.revoked_at as grant_revoked_at',
          'g.revoked_reason',
        ])
        .where('t.token_hash', '=', p.hash),
    ),
    findStore: precompile(db, ['storeId'], (p) =>
      db
        .selectFrom('stores')
        .selectAll()
        .where('store_id', '=', p.storeId as unknown as number),
    ),
    findCode: precompile(db, ['hash'], (p) => db.selectFrom('auth_codes').selectAll().where('code_hash', '=', p.hash)),
    consumeCode: precompile(db, ['now', 'grantId', 'hash'], (p) =>
      db
        .updateTable('auth_codes')
        .set({ consumed_at: p.now as unknown as number, grant_id: p.grantId })
        .where('code_hash', '=', p.hash)
        .where('consumed_at', 'is', null),
    ),
    codeGrant: precompile(db, ['hash'], (p) =>
      db.selectFrom('auth_codes').select(['grant_id']).where('code_hash', '=', p.hash),
    ),
    endLiveGrants: precompile(db, ['now', 'appKey', 'sellerId'], (p) =>
      db
        .updateTable('grants')
        .set({ revoked_at: p.now as unknown as number, revoked_reason: 'replaced' })
        .where('app_key', '=', p.appKey)
        .where('seller_id', '=', p.sellerId as unknown as number)
        .where('revoked_at', 'is', null)
        .returning('grant_id'),
    ),
    liveGrant: precompile(db, ['appKey', 'sellerId'], (p) => {
      const q = db
        .selectFrom('grants')
        .selectAll()
        .where('app_key', '=', p.appKey)
        .where('seller_id', '=', p.sellerId as unknown as number)
        .where('revoked_at', 'is', null);
      // PostgreSQL: a concurrent consent waits here and then sees the stores this one added.
      return dialect === 'postgres' ? q.forUpdate() : q;
    }),
    extendGrant: precompile(db, ['storeIds', 'scope', 'grantId'], (p) =>
      db.updateTable('grants').set({ store_ids: p.storeIds, scope: p.scope }).where('grant_id', '=', p.grantId),
    ),
    setCodeGrant: precompile(db, ['grantId', 'hash'], (p) =>
      db.updateTable('auth_codes').set({ grant_id: p.grantId }).where('code_hash', '=', p.hash),
    ),
    // The same single UPDATE keeps the sealed successor (docs/adr/0100): no extra statement.
    rotate: precompile(db, ['now', 'successor', 'graceUntil', 'hash'], (p) =>
      db
        .updateTable('tokens')
        .set({
          rotated_at: p.now as unknown as number,
          successor: p.successor,
          grace_until: p.graceUntil as unknown as number,
        })
        .where('token_hash', '=', p.hash)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        // Correlated on the token's own grant (primary key), not `grant_id IN (all live grants)`,
        // which SQLite answers by scanning the grants table on every refresh (docs/adr/0052).
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('grants')
              .select('grants.grant_id')
              .whereRef('grants.grant_id', '=', 'tokens.grant_id')
              .where('grants.revoked_at', 'is', null),
          ),
        ),
    ),
    // Only when the rotation lost: what the winner left on the row (its write is visible here).
    rotated: precompile(db, ['hash'], (p) =>
      db.selectFrom('tokens').select(['rotated_at', 'successor', 'grace_until']).where('token_hash', '=', p.hash),
    ),

    // The seller's authorize page with a live session (issue 18, docs/adr/0170): the statements of
    // authorize → interaction page → consent → code; reads on the direct path (ADR 0058).
    findInteraction: precompile(db, ['id'], (p) => db.selectFrom('interactions').selectAll().where('id', '=', p.id)),
    consumeInteraction: precompile(db, ['now', 'id', 'now2'], (p) =>
      db
        .updateTable('interactions')
        .set({ consumed_at: p.now as unknown as number })
        .where('id', '=', p.id)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', p.now2 as unknown as number),
    ),
    findSession: precompile(db, ['idHash', 'now'], (p) =>
      db
        .selectFrom('seller_sessions')
        .selectAll()
        .where('id_hash', '=', p.idHash)
        .where('expires_at', '>', p.now as unknown as number),
    ),
    sessionSeller: precompile(db, ['idHash', 'now'], (p) =>
      db
        .selectFrom('seller_sessions')
        .innerJoin('sellers', 'sellers.seller_id', 'seller_sessions.seller_id')
        .selectAll('sellers')
        .where('seller_sessions.id_hash', '=', p.idHash)
        .where('seller_sessions.expires_at', '>', p.now as unknown as number),
    ),
    // The consent page under `reconsent: 'add'`, and grant webhooks (not FOR UPDATE: a plain read).
    findLiveGrant: precompile(db, ['appKey', 'sellerId'], (p) =>
      db
        .selectFrom('grants')
        .selectAll()
        .where('app_key', '=', p.appKey)
        .where('seller_id', '=', p.sellerId as unknown as number)
        .where('revoked_at', 'is', null),
    ),
    findSeller: precompile(db, ['sellerId'], (p) =>
      db
        .selectFrom('sellers')
        .selectAll()
        .where('seller_id', '=', p.sellerId as unknown as number),
    ),
    sellerStores: precompile(db, ['sellerId'], (p) =>
      db
        .selectFrom('stores')
        .selectAll()
        .where('seller_id', '=', p.sellerId as unknown as number)
        .where('detached_at', 'is', null)
        .orderBy('store_id'),
    ),
  };

  const inserts: GrantInserts = {
    tokens: precompileInsert<Database['tokens']>(db, 'tokens', TOKEN_COLUMNS),
    grants: precompileInsert<Database['grants']>(db, 'grants', GRANT_COLUMNS, 1),
  };
  const insertInteraction = precompileInsert<Database['interactions']>(db, 'interactions', INTERACTION_COLUMNS, 1);
  const insertCode = precompileInsert<Database['auth_codes']>(db, 'auth_codes', CODE_COLUMNS, 1);
  const consoleStorage = createKyselyConsoleStorage(db, read);

  return {
    dialect,
    gateway: createKyselyGatewayStorage(db, dialect),
    audit: createAuditRepository(db),
    maintenance: createMaintenanceRepository(db),
    limits: createKyselyLimitStore(db, read),
    poolStats: poolStatsOf(extras.pool),
    commitStats: extras.commitStats,
    apps: createKyselyAppRepository(db),

    sellers: {
      async create(seller, storeNames) {
        try {
          return await db.transaction().execute(async (trx) => {
            const row = await trx
              .insertInto('sellers')
              .values({ username: seller.username, password_hash: seller.passwordHash, created_at: seller.createdAt })
              .returning(['seller_id'])
              .executeTakeFirstOrThrow();
            const sellerId = Number(row.seller_id);
            const stores: StoreRecord[] = [];
            for (const name of storeNames) {
              const s = await trx
                .insertInto('stores')
                .values({ seller_id: sellerId, name, created_at: seller.createdAt })
                .returning(['store_id'])
                .executeTakeFirstOrThrow();
              stores.push({ storeId: Number(s.store_id), sellerId, name });
            }
            await appendAudit(trx, {
              at: seller.createdAt,
              event: 'seller.created',
              actor: null,
              appKey: null,
              sellerId,
              subject: seller.username,
              detail: { stores: stores.map((x) => ({ storeId: x.storeId, name: x.name })) },
            });
            return { seller: { sellerId, ...seller } satisfies SellerRecord, stores };
          });
        } catch (err) {
          if (isUniqueViolation(err)) throw new DuplicateError(`username "${seller.username}" is already taken`);
          throw err;
        }
      },
      async findByUsername(username) {
        const r = await db.selectFrom('sellers').selectAll().where('username', '=', username).executeTakeFirst();
        return r && toSeller(r);
      },
      async find(sellerId) {
        const r = (await read(hot.findSeller.bind({ sellerId })))[0];
        return r && toSeller(r);
      },
      async stores(sellerId) {
        // Stores the platform no longer lists under this seller (detached) are not offered.
        const rows = await read(hot.sellerStores.bind({ sellerId }));
        return rows.map(toStore);
      },
      async store(storeId) {
        const r = (await hot.findStore({ storeId })).rows[0];
        return r && toStore(r);
      },
      async createPasswordReset(reset) {
        await db.transaction().execute(async (trx) => {
          // Only the newest link works: issuing one ends the earlier unused ones.
          await trx
            .updateTable('seller_password_resets')
            .set({ used_at: reset.createdAt })
            .where('seller_id', '=', reset.sellerId)
            .where('used_at', 'is', null)
            .execute();
          await trx
            .insertInto('seller_password_resets')
            .values({
              token_hash: reset.tokenHash,
              seller_id: reset.sellerId,
              created_by: reset.createdBy,
              created_at: reset.createdAt,
              expires_at: reset.expiresAt,
              used_at: null,
            })
            .execute();
          await appendAudit(trx, {
            at: reset.createdAt,
            event: 'seller.password_reset_issued',
            actor: reset.createdBy,
            appKey: null,
            sellerId: reset.sellerId,
            subject: hashRef(reset.tokenHash),
            detail: { expires_at: new Date(reset.expiresAt).toISOString() },
          });
        });
      },
      async findPasswordReset(tokenHash, now) {
        const r = await db
          .selectFrom('seller_password_resets')
          .selectAll()
          .where('token_hash', '=', tokenHash)
          .where('used_at', 'is', null)
          .where('expires_at', '>', now)
          .executeTakeFirst();
        return (
          r && {
            tokenHash: r.token_hash,
            sellerId: Number(r.seller_id),
            createdBy: r.created_by,
            createdAt: Number(r.created_at),
            expiresAt: Number(r.expires_at),
          }
        );
      },
      async completePasswordReset(tokenHash, passwordHash, now) {
        return db.transaction().execute(async (trx) => {
          const used = await trx
            .updateTable('seller_password_resets')
            .set({ used_at: now })
            .where('token_hash', '=', tokenHash)
            .where('used_at', 'is', null)
            .where('expires_at', '>', now)
            .returning(['seller_id'])
            .executeTakeFirst();
          if (!used) return undefined;
          const sellerId = Number(used.seller_id);
          await trx
            .updateTable('sellers')
            .set({ password_hash: passwordHash })
            .where('seller_id', '=', sellerId)
            .execute();
          await trx.deleteFrom('seller_sessions').where('seller_id', '=', sellerId).execute();
          await appendAudit(trx, {
            at: now,
            event: 'seller.password_reset',
            actor: `seller:${sellerId}`,
            appKey: null,
            sellerId,
            subject: hashRef(tokenHash),
            detail: null,
          });
          return sellerId;
        });
      },
      async upsertExternal(ext, now) {
        return withRetry(() =>
          db.transaction().execute(async (trx) => {
            const found = await trx
              .selectFrom('sellers')
              .selectAll()
              .where('source', '=', ext.source)
              .where('external_id', '=', ext.externalId)
              .executeTakeFirst();
            let sellerId: number;
            if (!found) {
              const row = await trx
                .insertInto('sellers')
                // A username no built-in account can have (':' is not allowed there), so the two never collide.
                .values({
                  username: `${ext.source}:${ext.externalId}`,
                  password_hash: '',
                  created_at: now,
                  source: ext.source,
                  external_id: ext.externalId,
                  nick: ext.nick,
                })
                .returning(['seller_id'])
                .executeTakeFirstOrThrow();
              sellerId = Number(row.seller_id);
              await appendAudit(trx, {
                at: now,
                event: 'seller.created',
                actor: ext.source,
                appKey: null,
                sellerId,
                subject: ext.externalId,
                detail: { source: ext.source, nick: ext.nick },
              });
            } else {
              sellerId = Number(found.seller_id);
              if (found.nick !== ext.nick)
                await trx.updateTable('sellers').set({ nick: ext.nick }).where('seller_id', '=', sellerId).execute();
            }
            const stores: StoreRecord[] = [];
            for (const st of ext.stores) {
              const existing = await trx
                .selectFrom('stores')
                .selectAll()
                .where('external_id', '=', st.externalId)
                .executeTakeFirst();
              if (!existing) {
                const row = await trx
                  .insertInto('stores')
                  .values({ seller_id: sellerId, name: st.name, created_at: now, external_id: st.externalId })
                  .returning(['store_id'])
                  .executeTakeFirstOrThrow();
                stores.push({ storeId: Number(row.store_id), sellerId, name: st.name, externalId: st.externalId });
                continue;
              }
              const storeId = Number(existing.store_id);
              const previousOwner = Number(existing.seller_id);
              if (previousOwner !== sellerId || existing.name !== st.name || existing.detached_at != null) {
                await trx
                  .updateTable('stores')
                  .set({ seller_id: sellerId, name: st.name, detached_at: null })
                  .where('store_id', '=', storeId)
                  .execute();
              }
              if (previousOwner !== sellerId) {
                // The store changed hands on the platform: the previous owner's authorizations of it end now.
                const ended = await trx
                  .updateTable('grants')
                  .set({ revoked_at: now, revoked_reason: 'store_transferred' })
                  .where('store_id', '=', storeId)
                  .where('seller_id', '<>', sellerId)
                  .where('revoked_at', 'is', null)
                  .returning(['grant_id', 'app_key', 'seller_id'])
                  .execute();
                for (const g of ended) {
                  await appendAudit(trx, {
                    at: now,
                    event: 'grant.revoked',
                    actor: ext.source,
                    appKey: g.app_key,
                    sellerId: Number(g.seller_id),
                    subject: g.grant_id,
                    detail: { reason: 'store_transferred', store_id: st.externalId },
                  });
                }
              }
              stores.push({ storeId, sellerId, name: st.name, externalId: st.externalId });
            }
            // Stores the platform no longer lists under this seller are no longer offered.
            let detach = trx
              .updateTable('stores')
              .set({ detached_at: now })
              .where('seller_id', '=', sellerId)
              .where('detached_at', 'is', null);
            if (stores.length > 0)
              detach = detach.where(
                'store_id',
                'not in',
                stores.map((x) => x.storeId),
              );
            await detach.execute();
            const seller = toSeller(
              await trx.selectFrom('sellers').selectAll().where('seller_id', '=', sellerId).executeTakeFirstOrThrow(),
            );
            return { seller, stores };
          }),
        );
      },
      async setPasswordHash(sellerId, passwordHash) {
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable('sellers')
            .set({ password_hash: passwordHash })
            .where('seller_id', '=', sellerId)
            .execute();
          await appendAudit(trx, {
            at: Date.now(),
            event: 'seller.password_changed',
            actor: null,
            appKey: null,
            sellerId,
            subject: String(sellerId),
            detail: null,
          });
        });
      },
    },

    interactions: {
      async create(i: InteractionRecord) {
        const row = {
          id: i.id,
          browser_hash: i.browserHash,
          request: JSON.stringify(i.request),
          created_at: i.createdAt,
          expires_at: i.expiresAt,
          consumed_at: i.consumedAt,
        };
        for (const q of insertInteraction.bind([row])) await write(q);
      },
      async find(id) {
        const r = (await read(hot.findInteraction.bind({ id })))[0];
        return r && toInteraction(r);
      },
      async findForPage(id, session, want): Promise<InteractionPageReads> {
        if (dialect === 'postgres') {
          const key = `${want.stores ? 's' : ''}${want.appDetails ? 'a' : ''}${want.liveGrant ? 'g' : ''}`;
          let sql = pgPageStatements.get(key);
          if (sql === undefined) pgPageStatements.set(key, (sql = pgPageStatement(want)));
          type Row = {
            interaction: Selectable<Database['interactions']> | null;
            seller: Selectable<Database['sellers']> | null;
            stores?: Selectable<Database['stores']>[];
            app?: Database['apps'] | null;
            live?: Database['grants'] | null;
          };
          const q = CompiledQuery.raw(sql, [id, session?.idHash ?? null, session?.now ?? 0]) as CompiledQuery<Row>;
          const r = (await db.executeQuery(q)).rows[0];
          if (!r?.interaction) return {};
          const out: InteractionPageReads = { interaction: toInteraction(r.interaction) };
          if (r.seller) out.seller = toSeller(r.seller);
          if (want.appDetails && r.app) out.appDetails = toDetails(r.app);
          if (r.seller && want.stores) out.stores = (r.stores ?? []).map(toStore);
          if (r.seller && want.liveGrant && r.live) out.liveGrant = toGrant(r.live);
          return out;
        }
        // SQLite: the same reads one after another (function calls on the direct path, not round trips).
        const i = (await read(hot.findInteraction.bind({ id })))[0];
        if (!i) return {};
        const out: InteractionPageReads = { interaction: toInteraction(i) };
        const appKey = out.interaction!.request.appKey;
        if (want.appDetails) out.appDetails = await consoleStorage.appDetails(appKey);
        const seller = session && (await read(hot.sessionSeller.bind(session)))[0];
        if (!seller) return out;
        out.seller = toSeller(seller);
        const sellerId = out.seller.sellerId;
        if (want.stores) out.stores = (await read(hot.sellerStores.bind({ sellerId }))).map(toStore);
        if (want.liveGrant) {
          const g = (await read(hot.findLiveGrant.bind({ appKey, sellerId })))[0];
          if (g) out.liveGrant = toGrant(g);
        }
        return out;
      },
      async consume(id, now) {
        return (await write(hot.consumeInteraction.bind({ now, id, now2: now }))) === 1;
      },
      async consumeWithCode(id, now, c) {
        const row = codeRow(c);
        // PostgreSQL: one statement, one round trip (the insert only when the update consumed it).
        if (dialect === 'postgres') {
          const res = await db.executeQuery(
            CompiledQuery.raw(PG_CONSUME_WITH_CODE, [now, id, now, ...CODE_COLUMNS.map((k) => row[k] ?? null)]),
          );
          return Number(res.numAffectedRows ?? 0) === 1;
        }
        const consume = hot.consumeInteraction.bind({ now, id, now2: now });
        const inserts = insertCode.bind([row]);
        // SQLite: one transaction, on the direct path when there is one (ADR 0058).
        return transaction(async (exec) => {
          if ((await exec(consume)).changes !== 1) return false;
          for (const q of inserts) await exec(q);
          return true;
        });
      },
    },

    sessions: {
      async create(s: SessionRecord) {
        await db
          .insertInto('seller_sessions')
          .values({
            id_hash: s.idHash,
            seller_id: s.sellerId,
            created_at: s.createdAt,
            expires_at: s.expiresAt,
            ...(s.idp ? { idp_sub: s.idp.sub, idp_sid: s.idp.sid, idp_id_token: s.idp.idToken } : {}),
          })
          .execute();
      },
      async find(idHash, now) {
        const r = (await read(hot.findSession.bind({ idHash, now })))[0];
        return (
          r && {
            idHash: r.id_hash,
            sellerId: Number(r.seller_id),
            createdAt: Number(r.created_at),
            expiresAt: Number(r.expires_at),
          }
        );
      },
      async findSeller(idHash, now) {
        const r = (await read(hot.sessionSeller.bind({ idHash, now })))[0];
        return r && toSeller(r);
      },
      async delete(idHash) {
        await db.deleteFrom('seller_sessions').where('id_hash', '=', idHash).execute();
      },
      async idpOf(idHash) {
        const r = await db
          .selectFrom('seller_sessions')
          .select(['idp_sub', 'idp_sid', 'idp_id_token'])
          .where('id_hash', '=', idHash)
          .executeTakeFirst();
        return r?.idp_sub ? { sub: r.idp_sub, sid: r.idp_sid, idToken: r.idp_id_token } : undefined;
      },
      async endIdpSessions({ sub, sid }) {
        if (sub === undefined && sid === undefined) return 0;
        let q = db.deleteFrom('seller_sessions');
        if (sid !== undefined) q = q.where('idp_sid', '=', sid);
        if (sub !== undefined) q = q.where('idp_sub', '=', sub);
        const res = await q.executeTakeFirst();
        return Number(res.numDeletedRows);
      },
      async useLogoutJti(jtiHash, expiresAt, now) {
        await db.deleteFrom('seller_oidc_logout_jtis').where('expires_at', '<', now).execute();
        const res = await db
          .insertInto('seller_oidc_logout_jtis')
          .values({ jti_hash: jtiHash, expires_at: expiresAt })
          .onConflict((oc) => oc.column('jti_hash').doNothing())
          .executeTakeFirst();
        return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
      },
    },

    codes: {
      async create(c: AuthCodeRecord) {
        for (const q of insertCode.bind([codeRow(c)])) await write(q);
      },
      async find(codeHash) {
        const r = (await read(hot.findCode.bind({ hash: codeHash })))[0];
        return (
          r && {
            codeHash: r.code_hash,
            appKey: r.app_key,
            sellerId: Number(r.seller_id),
            storeId: Number(r.store_id),
            storeIds: splitStoreIds(r.store_ids, r.store_id),
            redirectUri: r.redirect_uri,
            redirectUriSent: Number(r.redirect_uri_sent) === 1,
            scope: splitScope(r.scope),
            codeChallenge: r.code_challenge,
            codeChallengeMethod: r.code_challenge_method as 'S256' | null,
            createdAt: Number(r.created_at),
            expiresAt: Number(r.expires_at),
            consumedAt: r.consumed_at === null ? null : Number(r.consumed_at),
            grantId: r.grant_id,
          }
        );
      },
      async burn(codeHash, now) {
        await db
          .updateTable('auth_codes')
          .set({ consumed_at: now })
          .where('code_hash', '=', codeHash)
          .where('consumed_at', 'is', null)
          .execute();
      },
    },

    grants: {
      async find(grantId) {
        const r = await db.selectFrom('grants').selectAll().where('grant_id', '=', grantId).executeTakeFirst();
        return r && toGrant(r);
      },
      async revoke(grantId, now, reason, actor = null) {
        await db.transaction().execute(async (trx) => {
          const r = await trx
            .updateTable('grants')
            .set({ revoked_at: now, revoked_reason: reason })
            .where('grant_id', '=', grantId)
            .where('revoked_at', 'is', null)
            .returning(['app_key', 'seller_id'])
            .executeTakeFirst();
          if (r) {
            // A dead grant keeps no sealed refresh successor (docs/adr/0100).
            await trx
              .updateTable('tokens')
              .set({ successor: null, grace_until: null })
              .where('grant_id', '=', grantId)
              .where('grace_until', 'is not', null)
              .execute();
            await appendAudit(trx, {
              at: now,
              event: 'grant.revoked',
              actor,
              appKey: r.app_key,
              sellerId: Number(r.seller_id),
              subject: grantId,
              detail: { reason },
            });
          }
        });
      },
      async revokeFromCode({ grantId, codeHash, now, reason }) {
        return db.transaction().execute(async (trx) => {
          let q = trx
            .selectFrom('grants')
            .select(['app_key', 'seller_id'])
            .where('grant_id', '=', grantId)
            .where('revoked_at', 'is', null);
          if (dialect === 'postgres') q = q.forUpdate();
          const g = await q.executeTakeFirst();
          if (!g) return 'none';
          const who = { actor: null, appKey: g.app_key, sellerId: Number(g.seller_id), subject: grantId };
          // The code's chain: its exchange and every refresh since (a refresh carries code_hash on).
          const ended = await trx
            .updateTable('tokens')
            .set({ revoked_at: now, successor: null, grace_until: null })
            .where('grant_id', '=', grantId)
            .where('code_hash', '=', codeHash)
            .where('revoked_at', 'is', null)
            .returning('token_hash')
            .execute();
          // Another consent's token still alive (a live refresh token, or an access token not expired)?
          const other = await trx
            .selectFrom('tokens')
            .select('token_hash')
            .where('grant_id', '=', grantId)
            .where('revoked_at', 'is', null)
            .where('rotated_at', 'is', null)
            .where('expires_at', '>', now)
            .limit(1)
            .executeTakeFirst();
          if (other) {
            await appendAudit(trx, {
              at: now,
              event: 'grant.tokens_revoked',
              ...who,
              detail: { reason, tokens: ended.length, code: hashRef(codeHash) },
            });
            return 'tokens';
          }
          await trx
            .updateTable('grants')
            .set({ revoked_at: now, revoked_reason: reason })
            .where('grant_id', '=', grantId)
            .execute();
          await trx
            .updateTable('tokens')
            .set({ successor: null, grace_until: null })
            .where('grant_id', '=', grantId)
            .where('grace_until', 'is not', null)
            .execute();
          await appendAudit(trx, { at: now, event: 'grant.revoked', ...who, detail: { reason } });
          return 'grant';
        });
      },
      async findLive(appKey, sellerId) {
        const r = (await read(hot.findLiveGrant.bind({ appKey, sellerId })))[0];
        return r && toGrant(r);
      },
      async redeemAuthCode({ codeHash, now, grant, tokens, reconsent }): Promise<RedeemResult> {
        if (dialect === 'postgres')
          return withRetry(() => redeemOnPostgres(db, hot, { codeHash, now, grant, tokens, reconsent }));
        return withRetry(() =>
          transaction(async (exec): Promise<RedeemResult> => {
            const consumed = await exec(hot.consumeCode.bind({ now, grantId: grant.grantId, hash: codeHash }));
            if (consumed.changes !== 1) {
              const existing = (await exec(hot.codeGrant.bind({ hash: codeHash }))).rows[0] as
                { grant_id: string | null } | undefined;
              return existing ? { status: 'already_used', grantId: existing.grant_id } : { status: 'not_found' };
            }
            const placed = await placeGrant(exec, db, hot, inserts, now, grant, tokens, reconsent);
            if (placed.grantId !== grant.grantId)
              await exec(hot.setCodeGrant.bind({ grantId: placed.grantId, hash: codeHash }));
            return { status: 'redeemed', grant: placed };
          }),
        );
      },
      async createWithTokens({ now, grant, tokens, reconsent }) {
        return withRetry(() =>
          transaction((exec) => placeGrant(exec, db, hot, inserts, now, grant, tokens, reconsent, 'implicit')),
        );
      },
      async narrowScope({ grantId, now, actor, narrow }) {
        return db.transaction().execute(async (trx) => {
          let q = trx.selectFrom('grants').selectAll().where('grant_id', '=', grantId).where('revoked_at', 'is', null);
          if (dialect === 'postgres') q = q.forUpdate();
          const row = await q.executeTakeFirst();
          if (!row) return undefined;
          const before = splitScope(row.scope);
          const after = narrow(before);
          await trx
            .updateTable('grants')
            .set({ scope: joinScope(after) })
            .where('grant_id', '=', grantId)
            .execute();
          const live = await trx
            .selectFrom('tokens')
            .select(['token_hash', 'scope'])
            .where('grant_id', '=', grantId)
            .where('revoked_at', 'is', null)
            .where('expires_at', '>', now)
            .execute();
          for (const t of live) {
            const next = joinScope(narrow(splitScope(t.scope)));
            if (next !== t.scope)
              await trx.updateTable('tokens').set({ scope: next }).where('token_hash', '=', t.token_hash).execute();
          }
          await appendAudit(trx, {
            at: now,
            event: 'grant.narrowed',
            actor,
            appKey: row.app_key,
            sellerId: Number(row.seller_id),
            subject: grantId,
            detail: { from: before.join(' '), to: after.join(' ') },
          });
          return after;
        });
      },
      async removeStore({ grantId, storeId, now, actor }) {
        return db.transaction().execute(async (trx) => {
          let q = trx.selectFrom('grants').selectAll().where('grant_id', '=', grantId).where('revoked_at', 'is', null);
          if (dialect === 'postgres') q = q.forUpdate();
          const row = await q.executeTakeFirst();
          if (!row) return 'not_found';
          const g = toGrant(row);
          if (!storesOf(g).includes(storeId)) return 'not_found';
          const rest = storesOf(g).filter((id) => id !== storeId);
          const who = { actor, appKey: g.appKey, sellerId: g.sellerId, subject: grantId };
          // Tokens that covered only removed stores cover nothing now: end them.
          const own = await trx
            .selectFrom('tokens')
            .select(['token_hash', 'store_ids'])
            .where('grant_id', '=', grantId)
            .where('revoked_at', 'is', null)
            .where('store_ids', 'is not', null)
            .execute();
          const orphaned = own
            .filter((t) => !splitStoreIds(t.store_ids, 0).some((id) => rest.includes(id)))
            .map((t) => t.token_hash);
          if (orphaned.length > 0 && rest.length > 0)
            await trx.updateTable('tokens').set({ revoked_at: now }).where('token_hash', 'in', orphaned).execute();
          if (rest.length === 0) {
            await trx
              .updateTable('grants')
              .set({ revoked_at: now, revoked_reason: 'seller_revoked' })
              .where('grant_id', '=', grantId)
              .execute();
            await appendAudit(trx, {
              at: now,
              event: 'grant.revoked',
              ...who,
              detail: { reason: 'seller_revoked', lastStore: storeId },
            });
            return 'revoked';
          }
          await trx
            .updateTable('grants')
            .set({ store_ids: joinStoreIds(rest), store_id: rest[0]! })
            .where('grant_id', '=', grantId)
            .execute();
          await appendAudit(trx, {
            at: now,
            event: 'grant.store_removed',
            ...who,
            detail: { storeId, storeIds: rest },
          });
          return 'removed';
        });
      },
    },

    tokens: {
      async find(tokenHash): Promise<TokenWithGrant | undefined> {
        const r = (await read(hot.findToken.bind({ hash: tokenHash })))[0];
        if (!r) return undefined;
        // The grant's stores this token covers (docs/adr/0135): its own, while still in the grant.
        const grantStores = splitStoreIds(r.store_ids, r.store_id);
        const own = r.token_store_ids ? splitStoreIds(r.token_store_ids, r.store_id) : undefined;
        const covered = own ? own.filter((id) => grantStores.includes(id)) : grantStores;
        const storeIds = covered.length > 0 ? covered : grantStores;
        return {
          tokenHash: r.token_hash,
          kind: r.kind as TokenKind,
          grantId: r.grant_id,
          appKey: r.app_key,
          scope: splitScope(r.scope),
          createdAt: Number(r.created_at),
          expiresAt: Number(r.expires_at),
          revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
          rotatedAt: r.rotated_at === null ? null : Number(r.rotated_at),
          ...(own ? { storeIds: own } : {}),
          codeHash: r.code_hash ?? null,
          successor: successorOf(r),
          grant: {
            grantId: r.grant_id,
            appKey: r.app_key,
            sellerId: Number(r.seller_id),
            storeId: storeIds[0]!,
            storeIds,
            scope: splitScope(r.grant_scope),
            createdAt: Number(r.grant_created_at),
            revokedAt: r.grant_revoked_at === null ? null : Number(r.grant_revoked_at),
            revokedReason: r.revoked_reason,
          },
        };
      },
      async rotateRefreshToken({ oldHash, now, tokens, successor }): Promise<RotateResult> {
        const rotate = hot.rotate.bind({
          now,
          successor: successor?.sealed ?? null,
          graceUntil: successor?.graceUntil ?? null,
          hash: oldHash,
        });
        if (dialect === 'postgres' && tokens.length > 0) {
          // One statement (docs/adr/0186): the UPDATE is the gate, the new tokens are inserted only when it rotated.
          const st = new PgOneStatement(rotate).with('gate', `${rotate.sql} returning 1`);
          tokens.forEach((t, i) => st.with(`t${i}`, st.insertRow('tokens', TOKEN_COLUMNS, tokenRow(t), '"gate"')));
          const r = await db.executeQuery(st.build<{ gated: number }>('select count(*)::int as "gated" from "gate"'));
          if (Number(r.rows[0]?.gated) === 1) return { status: 'rotated' };
          // Lost to a concurrent rotation (PostgreSQL re-checked the WHERE after the winner committed): its answer.
          const row = (await db.executeQuery(hot.rotated.bind({ hash: oldHash }))).rows[0] as
            { rotated_at: number | null; successor?: string | null; grace_until?: number | null } | undefined;
          return { status: 'already_used', successor: row && row.rotated_at !== null ? successorOf(row) : null };
        }
        return transaction(async (exec): Promise<RotateResult> => {
          const res = await exec(rotate);
          if (res.changes !== 1) {
            // Lost to a concurrent rotation (its UPDATE came first: SQLite runs one transaction at
            // a time, PostgreSQL re-checked our WHERE after the winner committed): read its answer.
            const row = (await exec(hot.rotated.bind({ hash: oldHash }))).rows[0] as
              { rotated_at: number | null; successor?: string | null; grace_until?: number | null } | undefined;
            return { status: 'already_used', successor: row && row.rotated_at !== null ? successorOf(row) : null };
          }
          if (tokens.length > 0) for (const stmt of inserts.tokens.bind(tokens.map(tokenRow))) await exec(stmt);
          return { status: 'rotated' };
        });
      },
      async insert(tokens) {
        if (tokens.length > 0) await inserts.tokens(tokens.map(tokenRow));
      },
      async revoke(tokenHash, now) {
        await db.transaction().execute(async (trx) => {
          const r = await trx
            .updateTable('tokens')
            .set({ revoked_at: now })
            .where('token_hash', '=', tokenHash)
            .where('revoked_at', 'is', null)
            .returning(['app_key', 'grant_id', 'kind'])
            .executeTakeFirst();
          if (r)
            await appendAudit(trx, {
              at: now,
              event: 'token.revoked',
              actor: `client:${r.app_key}`,
              appKey: r.app_key,
              sellerId: null,
              subject: hashRef(tokenHash),
              detail: { kind: r.kind, grantId: r.grant_id },
            });
        });
      },
    },

    console: consoleStorage,
    management: createKyselyManagementStorage(db),
    keys: createKyselyKeyStorage(db, dialect),
    subscriptions: createKyselySubscriptionRepository(db, dialect, read),

    settings: {
      async get(key) {
        const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
        return r?.value;
      },
      async setIfAbsent(key, value) {
        await db
          .insertInto('settings')
          .values({ key, value })
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
        return r.value;
      },
    },

    async ping() {
      try {
        await db.selectFrom('settings').select('key').limit(1).execute();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await db.destroy();
    },
  };
}
