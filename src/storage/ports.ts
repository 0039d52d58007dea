/**
 * Storage ports: what the protocol core needs from persistence, nothing about SQL.
 * All times are epoch milliseconds. Credentials are only ever passed in hashed form.
 *
 * Every method is atomic on its own; methods that consume a single-use thing
 * (`redeemAuthCode`, `rotateRefreshToken`, `consumeInteraction`) guarantee that exactly
 * one of any number of concurrent callers wins.
 */

import type { AppDetails, ConsoleStorage } from './console-ports.js';
import type { ManagementStorage } from './management-ports.js';
import type { GatewayStorage } from './gateway-ports.js';

export type AppStatus = 'testing' | 'submitted' | 'live' | 'suspended';

export interface AppRecord {
  appKey: string;
  name: string;
  /** HMAC-SHA256 of the secret under the server's secret key. */
  secretHash: string;
  callbackUrls: string[];
  scopes: string[];
  status: AppStatus;
  createdAt: number;
  /** The secret before the last rotation, accepted until `previousSecretExpiresAt` (docs/adr/0060). */
  previousSecretHash?: string | null;
  previousSecretExpiresAt?: number | null;
  /** Sellers need an active subscription to authorize the app; its tokens end with it (docs/adr/0140). */
  requireSubscription?: boolean;
  /** Where sellers buy a subscription (shown on the authorize page of a seller without one). */
  purchaseUrl?: string | null;
}

/** A seller's paid subscription to an app, recorded by an operator (docs/adr/0140). */
export interface SubscriptionRecord {
  subscriptionId: string;
  appKey: string;
  sellerId: number;
  plan: string | null;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  cancelledAt: number | null;
  /** The `expiresAt` the `subscription.expiring` event was produced for, if any. */
  expiringEventFor: number | null;
  /** When `subscription.expired` was produced, if it was (cleared by a renewal that revives it). */
  expiredEventAt: number | null;
}

/** A subscription event kind (docs/gateway.md#subscriptions). */
export type SubscriptionEventKind = 'subscription.expiring' | 'subscription.expired';

/** A page of subscriptions, newest first. */
export interface SubscriptionQuery {
  appKey?: string;
  sellerId?: number;
  /** `active`: not cancelled and not yet ended at `now`; `ended`: the others. */
  status?: 'active' | 'ended';
  now: number;
  /** After this `(createdAt, subscriptionId)` (the cursor). */
  after?: { createdAt: number; subscriptionId: string };
  limit: number;
}

/**
 * Subscriptions (docs/adr/0140). A change of a subscription and the tokens it bounds is one
 * transaction with its audit line: a renewal or cancellation caps the live tokens of the seller's
 * grants for the app (when the app requires a subscription) at the new end with one UPDATE.
 */
export interface SubscriptionRepository {
  create(sub: SubscriptionRecord, audit: AuditEvent): Promise<void>;
  find(subscriptionId: string): Promise<SubscriptionRecord | undefined>;
  list(query: SubscriptionQuery): Promise<SubscriptionRecord[]>;
  /** The latest end among the seller's active subscriptions to the app at `now`, or undefined. */
  activeUntil(appKey: string, sellerId: number, now: number): Promise<number | undefined>;
  /**
   * Set a new end (never on a cancelled subscription: `cancelled`); the events start over for it;
   * the seller's live tokens for the app are capped at the seller's latest active end.
   */
  renew(
    subscriptionId: string,
    expiresAt: number,
    now: number,
    audit: AuditEvent,
  ): Promise<
    | { status: 'renewed'; subscription: SubscriptionRecord }
    | { status: 'not_found' }
    | { status: 'cancelled'; subscription: SubscriptionRecord }
  >;
  /**
   * End it now (idempotent); the seller's live tokens for the app stop at once unless another subscription is active.
   */
  cancel(
    subscriptionId: string,
    now: number,
    audit: AuditEvent,
  ): Promise<{ status: 'cancelled'; subscription: SubscriptionRecord; changed: boolean } | { status: 'not_found' }>;
  /**
   * Subscriptions owing an event at `now`: `expiring` (active, ending within `expiringWindowMs`,
   * no event yet for this end) and `expired` (cancelled or ended, no event yet), at most `limit`.
   */
  owingEvents(
    now: number,
    expiringWindowMs: number,
    limit: number,
  ): Promise<Array<{ subscription: SubscriptionRecord; kind: SubscriptionEventKind }>>;
  /**
   * Record that the event was produced, exactly once: a conditional UPDATE of the marker and, in the
   * same transaction, the outbox row when given. False when another producer recorded it first.
   */
  recordEvent(input: {
    subscriptionId: string;
    kind: SubscriptionEventKind;
    expiresAt: number;
    now: number;
    outbox?: { appKey: string; key: string; event: string; body: string };
  }): Promise<boolean>;
}

/** Where a seller signs in (docs/adr/0125): Shouquan's own password, the platform's seller directory or its IdP. */
export type SellerSource = 'builtin' | 'directory' | 'oidc';

export interface SellerRecord {
  sellerId: number;
  username: string;
  /** Empty for sellers whose password the platform keeps (`directory`, `oidc`). */
  passwordHash: string;
  createdAt: number;
  /** Set while an operator has disabled the seller: no sign-in (0015_management_api). */
  disabledAt?: number | null;
  /** Absent means `builtin`. */
  source?: SellerSource;
  /** The platform's own seller id (`directory`, `oidc`). */
  externalId?: string | null;
  /** The platform's display name of the seller. */
  nick?: string | null;
}

export interface StoreRecord {
  storeId: number;
  sellerId: number;
  name: string;
  /**
   * The platform's own store id for a store from its account system (docs/adr/0125): the
   * `store_id` ISVs see for this store, as a string. Built-in stores have none and keep the number.
   */
  externalId?: string | null;
}

/** A seller as the platform's account system describes it at sign-in (directory answer, ID token). */
export interface ExternalSeller {
  source: Exclude<SellerSource, 'builtin'>;
  externalId: string;
  nick: string;
  stores: Array<{ externalId: string; name: string }>;
}

/** A validated authorization request waiting for the seller (login, consent). */
export interface InteractionRecord {
  id: string;
  /** SHA-256 of the random value in the browser's interaction cookie. */
  browserHash: string;
  /** The validated request, as the core's `AuthorizationRequest`. */
  request: AuthorizationRequestData;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface AuthorizationRequestData {
  appKey: string;
  responseType: 'code' | 'token';
  redirectUri: string;
  /** Whether redirect_uri was sent (RFC 6749 §4.1.3: then it is required at the token endpoint). */
  redirectUriSent: boolean;
  scope: string[];
  state: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  /** Extra presentation hints such as the smallec `view`. */
  view: string | null;
  responseMode: 'query' | 'fragment';
}

export interface SessionRecord {
  idHash: string;
  sellerId: number;
  createdAt: number;
  expiresAt: number;
  /** Set for a session started at the platform's OpenID Connect IdP (docs/adr/0176). */
  idp?: IdpSessionLink;
}

/** What a seller session started at the platform's OpenID Connect IdP keeps of it (docs/adr/0176). */
export interface IdpSessionLink {
  /** The ID token's `sub`. */
  sub: string;
  /** The ID token's `sid` (OpenID Connect Front/Back-Channel Logout), when the IdP sent one. */
  sid: string | null;
  /** The ID token, sealed with the server key, for `id_token_hint` at sign-out. */
  idToken: string | null;
}

export interface AuthCodeRecord {
  codeHash: string;
  appKey: string;
  sellerId: number;
  /** The first store ticked (`storeIds[0]`). */
  storeId: number;
  /**
   * Every store the seller ticked (profiles with `grants.stores: 'several'`), first = `storeId`; absent: `storeId`
   * alone.
   */
  storeIds?: number[];
  redirectUri: string;
  redirectUriSent: boolean;
  scope: string[];
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** The grant created when the code was redeemed (for replay revocation). */
  grantId: string | null;
}

/** One authorization of an app by a seller for one or more stores. */
export interface GrantRecord {
  grantId: string;
  appKey: string;
  sellerId: number;
  /** The grant's first store (`storeIds[0]`), what one-store readers use. */
  storeId: number;
  /**
   * Every store the grant covers, in the order they were added (docs/adr/0135). Always set on
   * grants read from storage; absent on a new grant: `storeId` alone. Read it with `storesOf`.
   */
  storeIds?: number[];
  scope: string[];
  createdAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
}

export type TokenKind = 'access' | 'refresh';

export interface TokenRecord {
  tokenHash: string;
  kind: TokenKind;
  grantId: string;
  appKey: string;
  scope: string[];
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** Set when a refresh token was exchanged for a new one (rotation). */
  rotatedAt: number | null;
  /**
   * The stores this token covers: its grant's stores when its chain began (docs/adr/0135).
   * Absent: every store of the grant.
   */
  storeIds?: number[];
  /**
   * The hash of the authorization code whose exchange began this token's chain (a refresh
   * carries it on): a replay of that code revokes these tokens (docs/adr/0150). Absent or null:
   * the implicit flow, or a token from before migration 0019.
   */
  codeHash?: string | null;
}

/**
 * A token with the grant it belongs to (one read for every check). `grant.storeIds` (and
 * `grant.storeId`, its first) are the grant's stores this token covers: the token's own stores
 * that are still in the grant.
 */
export interface TokenWithGrant extends TokenRecord {
  grant: GrantRecord;
  /** For a rotated refresh token inside its grace window: its successor's answer, sealed (docs/adr/0100). */
  successor?: SealedSuccessor | null;
}

/**
 * The answer a refresh gave, sealed with the server key (never in the clear at rest), kept on the
 * rotated refresh token so that a retry or a concurrent request within the grace window gets the
 * very same successor (docs/adr/0100).
 */
export interface SealedSuccessor {
  sealed: string;
  /** End of the grace window, epoch ms. */
  graceUntil: number;
}

export type RedeemResult =
  | { status: 'redeemed'; grant: GrantRecord }
  | { status: 'already_used'; grantId: string | null }
  | { status: 'not_found' };

/** The stores of a grant or code: `storeIds`, or the one `storeId` when absent. */
export function storesOf(g: { storeId: number; storeIds?: number[] }): number[] {
  return g.storeIds && g.storeIds.length > 0 ? g.storeIds : [g.storeId];
}

/** What a later consent of the same seller for the same app does (profile `grants.reconsent`). */
export type ReconsentRule = 'replace' | 'add';

export type RotateResult =
  | { status: 'rotated' }
  /**
   * Not live (rotated, revoked, or its grant revoked); `successor` when it was rotated with a grace window still kept.
   */
  | { status: 'already_used'; successor?: SealedSuccessor | null };

/** What an app update may change (only the fields given change; docs/adr/0130). */
export interface AppChanges {
  name?: string;
  callbackUrls?: string[];
  scopes?: string[];
  status?: AppStatus;
  /** The developer console's fields (migration 0004_console). */
  developerId?: number | null;
  description?: string | null;
  logoUrl?: string | null;
  /** The gateway's per-app settings (`gateway_apps`), written in the same transaction. */
  webhookUrl?: string | null;
  webhookSince?: number | null;
  /** Permission packages; null: all. */
  permissions?: string[] | null;
  quotaPerDay?: number | null;
  quotaPerSecond?: number | null;
  /** Order receivers the app may decrypt per GMT+8 day (docs/adr/0137); null: the server's default. */
  receiverQuotaPerDay?: number | null;
  /** Where the client-side flow may send this app's tokens (docs/adr/0116); null: the profile's. */
  fragmentRedirect?: 'exact-callback' | 'redirect-rule' | null;
  /** Sellers need an active subscription (docs/adr/0140). */
  requireSubscription?: boolean;
  purchaseUrl?: string | null;
  /** Message service topics (issue 16 §2); null or empty: none. */
  topics?: string[] | null;
  /** When `topics` last gained an `authorization.*` topic (docs/adr/0171); null: none subscribed. */
  authorizationSince?: number | null;
}

/** A new secret for an app: its keyed hash and, for signed gateway calls, its sealed copy (docs/adr/0030). */
export interface AppSecretChange {
  secretHash: string;
  /** The sealed copy for the gateway; both change in one transaction. */
  sealedSecret: string;
  /**
   * The current secret stays accepted until this time (docs/adr/0060); null: not at all;
   * undefined: the previous secret on file, if any, is left as it is (sandbox renewal).
   */
  keepCurrentUntil?: number | null;
}

/** A page of apps, filtered (the operator's list and the management API). */
export interface AppQuery {
  status?: AppStatus;
  /** Part of the name or the AppKey, case-insensitive. */
  q?: string;
  /** AppKeys greater than this one (the cursor). */
  afterAppKey?: string;
  limit: number;
}

/**
 * The apps and their secrets (`apps` and `gateway_apps`). Written only through the app module
 * (src/apps/, docs/adr/0130); every write is one transaction with its audit line.
 */
export interface AppRepository {
  /** Create the app and its gateway settings with the sealed secret, in one transaction. */
  create(app: AppRecord, secret: { sealedSecret: string }, audit?: { actor: string | null }): Promise<void>;
  find(appKey: string): Promise<AppRecord | undefined>;
  /** Change the fields given, with the audit line when given; false when there is no such app. */
  update(appKey: string, changes: AppChanges, audit?: AuditEvent): Promise<boolean>;
  /** Replace the secret (hash and sealed copy together); false when there is no such app. */
  replaceSecret(appKey: string, change: AppSecretChange, audit?: AuditEvent): Promise<boolean>;
  /** Stop accepting the previous secret now, at the token endpoint and for signatures alike. */
  endPreviousSecret(appKey: string, audit?: AuditEvent): Promise<void>;
  /** Apps in AppKey order. */
  list(query: AppQuery): Promise<AppRecord[]>;
}

export interface SellerRepository {
  /** Create a seller and their stores in one transaction; throws `DuplicateError` on a taken username. */
  create(
    seller: { username: string; passwordHash: string; createdAt: number },
    storeNames: string[],
  ): Promise<{ seller: SellerRecord; stores: StoreRecord[] }>;
  findByUsername(username: string): Promise<SellerRecord | undefined>;
  find(sellerId: number): Promise<SellerRecord | undefined>;
  stores(sellerId: number): Promise<StoreRecord[]>;
  store(storeId: number): Promise<StoreRecord | undefined>;
  setPasswordHash(sellerId: number, passwordHash: string): Promise<void>;
  /**
   * Create or update, in one transaction, a seller from the platform's account system and exactly
   * the stores it lists now (found by the platform's ids; new ones created, names updated, a store
   * moved from another seller moved here with that seller's live grants of it revoked, stores no
   * longer listed detached). Returns the seller and its stores, in the platform's order.
   */
  upsertExternal(seller: ExternalSeller, now: number): Promise<{ seller: SellerRecord; stores: StoreRecord[] }>;
  /** Store a one-time password reset link (SHA-256 of its token); the seller's earlier unused links stop working. */
  createPasswordReset(reset: PasswordResetRecord): Promise<void>;
  /** The seller of a reset link that is unused and unexpired, if any. */
  findPasswordReset(tokenHash: string, now: number): Promise<PasswordResetRecord | undefined>;
  /**
   * Atomically use a reset link (exactly one concurrent caller wins, and only while it is unused and
   * unexpired), set the seller's password hash and end every session of the seller. Returns the seller id.
   */
  completePasswordReset(tokenHash: string, passwordHash: string, now: number): Promise<number | undefined>;
}

/** A one-time seller password reset link issued by an operator (docs/adr/0126). */
export interface PasswordResetRecord {
  tokenHash: string;
  sellerId: number;
  /** Who issued it (`cli`, `operator:<name>`, `api:<token name>`). */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
}

export interface InteractionRepository {
  create(interaction: InteractionRecord): Promise<void>;
  find(id: string): Promise<InteractionRecord | undefined>;
  /** Mark consumed; true for exactly one caller, and only if it is not expired. */
  consume(id: string, now: number): Promise<boolean>;
  /**
   * {@link consume} and, only when it succeeds, store the authorization code, in one transaction
   * (the consent page's one write, issue 18). False (no code stored) when another caller consumed
   * it or it expired.
   */
  consumeWithCode(id: string, now: number, code: AuthCodeRecord): Promise<boolean>;
  /**
   * The seller's authorize page in one read (docs/adr/0189; PostgreSQL: one round trip instead of one per read):
   * the interaction, the seller of the live session `session` names (as `sessions.findSeller`), and as `want`
   * asks, that seller's stores (`sellers.stores`), the interaction's app details (`console.appDetails`) and the
   * seller's live grant for that app (`grants.findLive`). Nothing but the interaction when it does not exist.
   */
  findForPage(
    id: string,
    session: { idHash: string; now: number } | undefined,
    want: { stores?: boolean; appDetails?: boolean; liveGrant?: boolean },
  ): Promise<InteractionPageReads>;
}

/** What {@link InteractionRepository.findForPage} read; a part not asked for (or without a seller) is absent. */
export interface InteractionPageReads {
  interaction?: InteractionRecord;
  seller?: SellerRecord;
  stores?: StoreRecord[];
  appDetails?: AppDetails;
  liveGrant?: GrantRecord;
}

export interface SessionRepository {
  create(session: SessionRecord): Promise<void>;
  find(idHash: string, now: number): Promise<SessionRecord | undefined>;
  /** The seller of a live session, in one read ({@link find} then `sellers.find`; issue 18). */
  findSeller(idHash: string, now: number): Promise<SellerRecord | undefined>;
  delete(idHash: string): Promise<void>;
  /** The IdP link of a session (started at the platform's OpenID Connect IdP), if any. */
  idpOf(idHash: string): Promise<IdpSessionLink | undefined>;
  /**
   * End the sessions an IdP's back-channel logout names (OpenID Connect Back-Channel Logout 1.0 §2.7): those of
   * `sid` (and of `sub` too when given), else every session of `sub`. Returns how many ended.
   */
  endIdpSessions(idp: { sub?: string; sid?: string }): Promise<number>;
  /**
   * Record a logout token's `jti` (its SHA-256) until `expiresAt`, atomically: false when it was recorded before
   * (a replay). Forgets the ones past their time.
   */
  useLogoutJti(jtiHash: string, expiresAt: number, now: number): Promise<boolean>;
}

export interface AuthCodeRepository {
  create(code: AuthCodeRecord): Promise<void>;
  find(codeHash: string): Promise<AuthCodeRecord | undefined>;
  /** Burn a code without issuing anything (a failed check must not leave it redeemable). */
  burn(codeHash: string, now: number): Promise<void>;
}

export interface GrantRepository {
  find(grantId: string): Promise<GrantRecord | undefined>;
  /** Revoke a grant and so every token issued under it (audited, with `actor` when given). */
  revoke(grantId: string, now: number, reason: string, actor?: string | null): Promise<void>;
  /**
   * A replayed authorization code (RFC 6749 §4.1.2, RFC 9700 §4.5; docs/adr/0150): revoke the
   * grant's tokens issued from that code (its exchange and the refreshes since), in one
   * transaction. When no other live token of the grant remains (the code was its only consent, or
   * its tokens predate migration 0019), the grant itself is revoked with `reason`, as before;
   * otherwise the grant's other consents keep working. Returns what it ended.
   */
  revokeFromCode(input: {
    grantId: string;
    codeHash: string;
    now: number;
    reason: string;
  }): Promise<'grant' | 'tokens' | 'none'>;
  /** The live grant of a seller for an app, if any. */
  findLive(appKey: string, sellerId: number): Promise<GrantRecord | undefined>;
  /**
   * Atomically: consume the code (only if unconsumed), place the grant (see `createWithTokens`)
   * with its tokens, and remember the grant on the code. `redeemed` carries the grant as stored:
   * the live one the new stores were added to, under `reconsent: 'add'`.
   */
  redeemAuthCode(input: {
    codeHash: string;
    now: number;
    grant: GrantRecord;
    tokens: TokenRecord[];
    reconsent?: ReconsentRule;
  }): Promise<RedeemResult>;
  /**
   * Atomically place a grant with its tokens. There is one live grant per seller and AppKey:
   * `replace` (the default) ends the live one (and so its tokens) and creates this one; `add` adds this grant's
   * stores and scope to the live one, when there is one, and files the tokens under it.
   * Returns the grant as stored.
   */
  createWithTokens(input: {
    now: number;
    grant: GrantRecord;
    tokens: TokenRecord[];
    reconsent?: ReconsentRule;
  }): Promise<GrantRecord>;
  /**
   * Take one store out of a live grant; the grant's other stores and tokens stay. Taking out its
   * last store revokes the grant. `not_found` when the grant is not live or lacks the store.
   */
  removeStore(input: {
    grantId: string;
    storeId: number;
    now: number;
    actor: string | null;
  }): Promise<'removed' | 'revoked' | 'not_found'>;
  /**
   * Narrow a live grant's scope, and the scope of each of its live tokens, with `narrow` (applied
   * to each scope as stored), atomically. Returns the grant's new scope; undefined when it is not live.
   */
  narrowScope(input: {
    grantId: string;
    now: number;
    actor: string | null;
    narrow: (scope: string[]) => string[];
  }): Promise<string[] | undefined>;
}

export interface TokenRepository {
  find(tokenHash: string): Promise<TokenWithGrant | undefined>;
  /**
   * Atomically mark the refresh token rotated (only if live) and store the new tokens; with
   * `successor`, keep the sealed answer on the old token until its grace window ends. Exactly one
   * concurrent caller rotates; the others get `already_used` with the winner's sealed successor
   * (read in the same transaction, after the winner's write).
   */
  rotateRefreshToken(input: {
    oldHash: string;
    now: number;
    tokens: TokenRecord[];
    successor?: SealedSuccessor;
  }): Promise<RotateResult>;
  /** Store tokens for an existing grant (refresh without rotation). */
  insert(tokens: TokenRecord[]): Promise<void>;
  revoke(tokenHash: string, now: number): Promise<void>;
}

export interface SettingsRepository {
  get(key: string): Promise<string | undefined>;
  /** Set only if absent; returns the value now stored (first writer wins). */
  setIfAbsent(key: string, value: string): Promise<string>;
}

/**
 * One app's values that depend on the server key (docs/adr/0115): the keyed hashes the token
 * endpoint checks (docs/adr/0003) and the sealed copies the gateway signs with (docs/adr/0030).
 */
export interface KeyedAppSecrets {
  appKey: string;
  secretHash: string;
  previousSecretHash: string | null;
  sealedSecret: string | null;
  previousSealedSecret: string | null;
}

/**
 * A rotated refresh token's sealed successor (docs/adr/0100), sealed under the server key with the
 * old token's hash as context. `sealed: null` on the way back clears it (it did not open).
 */
export interface KeyedSuccessor {
  tokenHash: string;
  sealed: string | null;
}

/** An operator's sealed TOTP secret (docs/adr/0161). */
export interface KeyedTotpSecret {
  accountId: number;
  sealed: string;
}

/** Everything stored under the server key, read and rewritten at once by `shouquan key rotate`. */
export interface ServerKeyRepository {
  /** One sealed AppSecret (any app), to prove a key opens this database's data. */
  sealedSample(): Promise<{ appKey: string; sealed: string } | undefined>;
  /**
   * In one transaction (other writers of apps and sealed secrets wait on PostgreSQL): read every
   * keyed value (app secrets, and the sealed successors of rotated refresh tokens), let `rewrite` compute the new ones
   * (it may throw: then nothing changes), write
   * them back and apply the settings changes. Returns what `rewrite` returned.
   */
  rekey<T>(
    rewrite: (
      apps: KeyedAppSecrets[],
      successors: KeyedSuccessor[],
      totpSecrets: KeyedTotpSecret[],
    ) => {
      apps: KeyedAppSecrets[];
      successors: KeyedSuccessor[];
      totpSecrets: KeyedTotpSecret[];
      setSettings: Record<string, string>;
      deleteSettings: string[];
      result: T;
    },
  ): Promise<T>;
}

/** Everything the core and the HTTP layer need from storage. */
export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  apps: AppRepository;
  sellers: SellerRepository;
  interactions: InteractionRepository;
  sessions: SessionRepository;
  codes: AuthCodeRepository;
  grants: GrantRepository;
  tokens: TokenRepository;
  settings: SettingsRepository;
  /** Sellers' subscriptions to apps (docs/adr/0140). */
  subscriptions: SubscriptionRepository;
  /** The web consoles' storage (developer console, seller center, operator admin). */
  console: ConsoleStorage;
  /** Operator API tokens, sellers, grants and the audit log for the management API (docs/adr/0131). */
  management: ManagementStorage;
  /** Open API gateway storage (src/storage/gateway-ports.ts); absent in storages without the gateway tables. */
  gateway?: GatewayStorage;
  /** Every value kept under the server key, for `shouquan key rotate` (docs/adr/0115). */
  keys?: ServerKeyRepository;
  /** Append-only audit log (grants, revocations, secret rotations, admin actions). */
  audit?: AuditRepository;
  /** Batch purges of expired rows, for the janitor. */
  maintenance?: MaintenanceRepository;
  /**
   * Counters every node shares: failure budgets, lockouts and gateway quotas (docs/adr/0110). The
   * database's own table by default; `serve --redis` puts a Redis store here instead.
   */
  limits: LimitStore;
  /** Connection pool use, when the database has a pool (PostgreSQL). */
  poolStats?(): PoolStats | undefined;
  /** SQLite group commit (docs/adr/0050): transactions run and COMMITs issued so far. */
  commitStats?(): CommitStats | undefined;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Counters that every server node shares (docs/adr/0110): the failure budgets and lockouts of
 * src/server/throttle.ts and the gateway quota leases of src/gateway/quota.ts. Each method is one
 * atomic step in the store (an `INSERT … ON CONFLICT … DO UPDATE … RETURNING` in the database, a
 * Lua script in Redis), so concurrent callers on any number of nodes never lose an update.
 * A counter is absent once its expiry passed; `now` is the caller's clock (the database store
 * compares expiries with it; Redis expires keys on its own clock, from `expiresAt - now`).
 */
export interface LimitStore {
  /** Where the counters live, for logs and /metrics. */
  readonly kind: 'database' | 'redis';
  /**
   * Add `by` to counter `key` and return its new value. An absent (or expired) counter starts
   * from 0 and expires at `expiresAt`; a live one keeps its expiry (fixed windows).
   */
  add(key: string, by: number, expiresAt: number, now: number): Promise<number>;
  /**
   * Take up to `want` units of counter `key` without its value passing `limit`; returns how many
   * were taken (0 when the counter is at or over `limit`). Expiry as in {@link add}.
   */
  take(key: string, want: number, limit: number, expiresAt: number, now: number): Promise<number>;
  /** Subtract up to `n` from a live counter, never below 0; nothing when it is absent or expired. */
  giveBack(key: string, n: number, now: number): Promise<void>;
  /** Make `key` live until at least `until` (a lockout marker); a longer expiry is kept. */
  block(key: string, until: number, now: number): Promise<void>;
  /** The latest expiry among those `keys` that are live at `now`, or 0 when none is. */
  liveUntil(keys: string[], now: number): Promise<number>;
  /** Forget counters (a successful sign-in ends a failure streak). */
  delete(keys: string[]): Promise<void>;
  /** Release connections of its own (Redis); the database store closes with its storage. */
  close(): Promise<void>;
}

/** SQLite's write path at work (docs/adr/0050, 0056, 0092). */
export interface CommitStats {
  /** Write transactions run (group-commit members). */
  transactions: number;
  /** COMMITs issued. */
  commits: number;
  /** WAL checkpoints run by the background thread. */
  checkpoints: number;
  /** Times the background thread emptied a long WAL so that it started over (docs/adr/0092). */
  walRestarts: number;
}

/** A unique constraint was violated (e.g. a username already taken). */
export class DuplicateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DuplicateError';
  }
}

/** One audit log entry as written (RFC 6819 §5.1.4.1.5 style accountability; docs/adr/0041). */
export interface AuditEvent {
  at: number;
  /** e.g. `grant.created`, `grant.revoked`, `token.revoked`, `app.created`, `app.secret_rotated`, `seller.created`. */
  event: string;
  /** Who did it when known (`cli`, `seller:<id>`, `client:<app_key>`), else null. */
  actor: string | null;
  appKey: string | null;
  sellerId: number | null;
  /** What it was done to (a grant id, a token hash prefix). Never a credential. */
  subject: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditRecord extends AuditEvent {
  id: number;
}

export interface AuditRepository {
  append(event: AuditEvent): Promise<void>;
  /** Entries in id order, after `afterId`, at most `limit`. */
  list(opts?: { afterId?: number; limit?: number }): Promise<AuditRecord[]>;
}

/**
 * What the janitor can purge, in the order it purges: the core's expired rows, the consoles'
 * expired login sessions (`web_sessions`), gateway call records past their retention, the
 * sealed successors of rotated refresh tokens whose grace window ended (docs/adr/0100), and
 * expired shared counters (`shared_limits`: failure budgets, lockouts, quota windows; docs/adr/0110).
 */
export const PURGEABLE = [
  'interactions',
  'sessions',
  'codes',
  'tokens',
  'grants',
  'webSessions',
  'calls',
  'successors',
  'limits',
  'deliveries',
] as const;
export type Purgeable = (typeof PURGEABLE)[number];

export interface MaintenanceRepository {
  /**
   * Delete at most `batchSize` rows of one kind that expired before `cutoff` (revoked before it,
   * for grants, and only once no token of theirs is left; made before it, for call records; for
   * `successors`, the sealed answer is cleared from tokens whose grace window ended before it; for
   * `deliveries`, webhook pushes delivered before it, a grant's event only once the grant is gone).
   * Returns how many were deleted (cleared).
   */
  purgeExpired(kind: Purgeable, cutoff: number, batchSize: number): Promise<number>;
}

export interface PoolStats {
  /** Connections open. */
  total: number;
  idle: number;
  /** Requests waiting for a connection. */
  waiting: number;
  max: number;
}
