import { isAuthorizationTopic, TopicError, validateTopics } from '../messages/topics.js';
/**
 * The app module (docs/adr/0130): the one place that creates and changes an app and its secret.
 * An app lives in two tables (`apps` for the OAuth core and the consoles, `gateway_apps` for signed
 * calls) behind one repository (`storage.apps`) whose every write is one transaction, and behind one
 * in-process cache (src/storage/app-cache.ts, docs/adr/0051) that each write drops for both tables.
 * The CLI, the developer console, the operator admin, the sandbox and the management API call this.
 */
import { randomInt } from 'node:crypto';
import { hashAppSecret } from '../core/client-auth.js';
import { randomToken } from '../crypto/tokens.js';
import { sealSecret } from '../gateway/secret-seal.js';
import type { AppDetails } from '../storage/console-ports.js';
import { DuplicateError, type AppChanges, type AppStatus, type AuditEvent, type Storage } from '../storage/ports.js';

/** Every status an app can be in; `submitted` waits for an operator's review. */
export const APP_STATUSES: readonly AppStatus[] = ['testing', 'submitted', 'live', 'suspended'];

/** The longest overlap of a rotated secret (a week). */
export const MAX_OVERLAP_HOURS = 168;

/** A value an app may not take; the message names the field and the problem. */
export class AppInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppInputError';
  }
}

/** Check a callback URL as RFC 6749 §3.1.2 requires: absolute, no fragment; http(s) only. */
/** What is wrong with a callback URL, as a code the pages put in words (undefined: nothing). */
export type CallbackProblem = 'not_absolute' | 'scheme' | 'fragment' | 'userinfo';

export function callbackUrlProblem(raw: string): CallbackProblem | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not_absolute';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'scheme';
  if (u.hash || raw.includes('#')) return 'fragment';
  if (u.username || u.password) return 'userinfo';
  return undefined;
}

export function validateCallbackUrl(raw: string): string {
  const problem = callbackUrlProblem(raw);
  if (problem === 'not_absolute') throw new AppInputError('callbacks', `callback "${raw}" is not an absolute URL`);
  if (problem === 'scheme') throw new AppInputError('callbacks', `callback "${raw}" must use http or https`);
  if (problem === 'fragment')
    throw new AppInputError('callbacks', `callback "${raw}" may not contain a fragment (RFC 6749 §3.1.2)`);
  if (problem === 'userinfo') throw new AppInputError('callbacks', `callback "${raw}" may not contain user info`);
  return raw;
}

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); spaces separate tokens. */
export function validateScopeToken(scope: string, label = '--scope'): string {
  if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
    throw new AppInputError(
      'scopes',
      `${label} "${scope}" is not a scope token (RFC 6749 §3.3: printable ASCII, no spaces, quotes or backslashes)`,
    );
  }
  return scope;
}

/** Permission packages as the gateway reads them: `*`, `read`, `write`, `orders`, `orders.read`. */
export function validatePermission(p: string): string {
  if (!/^(\*|[a-z]+|[a-z]+\.(read|write))$/.test(p))
    throw new AppInputError('permissions', `permission packages look like orders, read or orders.read, got "${p}"`);
  return p;
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (name === '') throw new AppInputError('name', 'name may not be empty');
  if (name.length > 100) throw new AppInputError('name', 'name may be at most 100 characters');
  return name;
}

function checkCallbacks(callbacks: string[]): string[] {
  if (callbacks.length === 0) throw new AppInputError('callbacks', 'at least one callback is required');
  return callbacks.map(validateCallbackUrl);
}

/** Where sellers buy a subscription (docs/adr/0140): an absolute http(s) URL, or null for none. */
export function checkPurchaseUrl(v: string | null): string | null {
  if (v === null) return null;
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || v.length > 2000)
    throw new AppInputError('purchase_url', `purchase_url "${v}" must be an absolute http or https URL`);
  return v;
}

function checkQuota(field: string, v: number | null): number | null {
  if (v !== null && !(Number.isSafeInteger(v) && v > 0))
    throw new AppInputError(field, `${field} must be a whole number greater than 0, or null for the server's default`);
  return v;
}

export interface CreatedApp {
  appKey: string;
  appSecret: string;
}

/**
 * Register an app. The secret is returned once and stored only as a keyed hash, with its sealed
 * copy for signed calls, in one transaction. AppKeys are 8 digits like the platforms'
 * (`23075594`); a collision is retried.
 */
export async function createApp(
  storage: Storage,
  secretKey: Buffer,
  input: {
    name: string;
    callbacks: string[];
    scopes?: string[];
    status?: AppStatus;
    appKey?: string;
    appSecret?: string;
    now?: number;
    actor?: string | null;
    /** Sellers need an active subscription (docs/adr/0140). */
    requireSubscription?: boolean;
    purchaseUrl?: string | null;
  },
): Promise<CreatedApp> {
  const name = checkName(input.name);
  const purchaseUrl = checkPurchaseUrl(input.purchaseUrl ?? null);
  const callbacks = checkCallbacks(input.callbacks);
  (input.scopes ?? []).forEach((s) => validateScopeToken(s));
  const appSecret = input.appSecret ?? randomToken('hex32');
  for (let attempt = 0; ; attempt++) {
    const appKey = input.appKey ?? String(randomInt(10_000_000, 100_000_000));
    try {
      await storage.apps.create(
        {
          appKey,
          name,
          secretHash: hashAppSecret({ secretKey }, appSecret),
          callbackUrls: callbacks,
          scopes: input.scopes ?? ['seller'],
          status: input.status ?? 'live',
          createdAt: input.now ?? Date.now(),
          requireSubscription: input.requireSubscription === true,
          purchaseUrl,
        },
        // The gateway checks TOP signatures with the secret itself, kept sealed (docs/adr/0030).
        { sealedSecret: sealSecret(secretKey, appKey, appSecret) },
        { actor: input.actor ?? null },
      );
      return { appKey, appSecret };
    } catch (e) {
      if (!(e instanceof DuplicateError) || input.appKey !== undefined || attempt >= 5) throw e;
    }
  }
}

/** What may change about an app, as the callers name it. Only the fields given change. */
export interface AppUpdate {
  name?: string;
  callbacks?: string[];
  scopes?: string[];
  status?: AppStatus;
  /** Permission packages of the gateway; null: all. */
  permissions?: string[] | null;
  quotaPerDay?: number | null;
  quotaPerSecond?: number | null;
  /**
   * Order receivers the app may decrypt per GMT+8 day (`orders.receiver.get`, docs/adr/0137); null: the server's
   * default.
   */
  receiverQuotaPerDay?: number | null;
  /** Where authorization changes are POSTed (docs/adr/0031); events start from now. */
  webhookUrl?: string | null;
  description?: string | null;
  logoUrl?: string | null;
  developerId?: number | null;
  /** Where the client-side flow may send this app's tokens in a fragment (docs/adr/0116); null: the profile's. */
  fragmentRedirect?: 'exact-callback' | 'redirect-rule' | null;
  /** Sellers need an active subscription to authorize it; its tokens end with it (docs/adr/0140). */
  requireSubscription?: boolean;
  /** Where sellers buy a subscription; null: none. */
  purchaseUrl?: string | null;
  /** Message service topics the app subscribes to (issue 16 §2); empty or null: none. */
  topics?: string[] | null;
}

/** Who changed an app, for the audit line written in the same transaction. */
export interface AppAudit {
  actor: string | null;
  /** The audit event; default `app.updated`. */
  event?: string;
  detail?: Record<string, unknown> | null;
}

/**
 * Change an app: name, callbacks, scopes, status, permission packages, quotas, webhook and the
 * console's fields, checked first and written in one transaction (both tables) with the audit
 * line. The change is seen at once here and within the app cache's bound on every other process.
 * Throws {@link AppInputError} on a bad value; false when there is no such app.
 */
export async function updateApp(
  storage: Storage,
  appKey: string,
  update: AppUpdate,
  now: number,
  audit?: AppAudit,
): Promise<boolean> {
  const changes: AppChanges = {};
  if (update.name !== undefined) changes.name = checkName(update.name);
  if (update.callbacks !== undefined) changes.callbackUrls = checkCallbacks(update.callbacks);
  if (update.scopes !== undefined) {
    if (update.scopes.length === 0) throw new AppInputError('scopes', 'at least one scope is required');
    changes.scopes = update.scopes.map((s) => validateScopeToken(s, 'scope'));
  }
  if (update.status !== undefined) {
    if (!APP_STATUSES.includes(update.status))
      throw new AppInputError('status', `status must be one of ${APP_STATUSES.join(', ')}`);
    changes.status = update.status;
  }
  if (update.permissions !== undefined)
    changes.permissions = update.permissions === null ? null : update.permissions.map(validatePermission);
  if (update.quotaPerDay !== undefined) changes.quotaPerDay = checkQuota('quota_per_day', update.quotaPerDay);
  if (update.quotaPerSecond !== undefined)
    changes.quotaPerSecond = checkQuota('quota_per_second', update.quotaPerSecond);
  if (update.receiverQuotaPerDay !== undefined)
    changes.receiverQuotaPerDay = checkQuota('receiver_quota_per_day', update.receiverQuotaPerDay);
  if (update.webhookUrl !== undefined) {
    if (update.webhookUrl !== null) {
      let u: URL | undefined;
      try {
        u = new URL(update.webhookUrl);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:'))
        throw new AppInputError('webhook_url', `webhook "${update.webhookUrl}" must be an absolute http or https URL`);
    }
    changes.webhookUrl = update.webhookUrl;
    // Events about grants revoked before the URL was set are not sent.
    changes.webhookSince = update.webhookUrl === null ? null : now;
  }
  if (update.description !== undefined) changes.description = update.description;
  if (update.logoUrl !== undefined) changes.logoUrl = update.logoUrl;
  if (update.developerId !== undefined) changes.developerId = update.developerId;
  if (update.fragmentRedirect !== undefined) {
    if (
      update.fragmentRedirect !== null &&
      update.fragmentRedirect !== 'exact-callback' &&
      update.fragmentRedirect !== 'redirect-rule'
    ) {
      throw new AppInputError(
        'fragment_redirect',
        `fragment_redirect must be exact-callback, redirect-rule or null (the profile's), got "${String(update.fragmentRedirect)}"`,
      );
    }
    changes.fragmentRedirect = update.fragmentRedirect;
  }
  if (update.requireSubscription !== undefined) {
    if (typeof update.requireSubscription !== 'boolean')
      throw new AppInputError('require_subscription', 'require_subscription must be true or false');
    changes.requireSubscription = update.requireSubscription;
  }
  if (update.purchaseUrl !== undefined) changes.purchaseUrl = checkPurchaseUrl(update.purchaseUrl);
  if (update.topics !== undefined) {
    try {
      changes.topics = update.topics === null ? null : validateTopics(update.topics);
    } catch (e) {
      if (e instanceof TopicError) throw new AppInputError('topics', e.message);
      throw e;
    }
    // Pull apps get authorization.* for grants revoked from the moment they subscribed on, never
    // earlier ones (docs/adr/0171): the marker moves when an authorization topic is added.
    const wanted = (changes.topics ?? []).filter(isAuthorizationTopic);
    if (wanted.length === 0) changes.authorizationSince = null;
    else {
      const before = (await storage.gateway?.apps.find(appKey))?.topics ?? [];
      if (wanted.some((t) => !before.includes(t))) changes.authorizationSince = now;
    }
  }
  return storage.apps.update(appKey, changes, audit && auditEvent(appKey, now, audit, 'app.updated'));
}

/** Move an app to another status (review, suspension, reinstatement); returns the status before, or undefined. */
export async function setAppStatus(
  storage: Storage,
  appKey: string,
  status: AppStatus,
  now: number,
  audit?: AppAudit,
): Promise<AppStatus | undefined> {
  const current = await storage.apps.find(appKey);
  if (!current) return undefined;
  const event =
    audit && auditEvent(appKey, now, { detail: { from: current.status, to: status }, ...audit }, 'app.status_changed');
  await storage.apps.update(appKey, { status }, event);
  return current.status;
}

/**
 * Rotate an app's secret (docs/adr/0060): a new secret now; the old one keeps working for
 * `overlapHours` (0: it stops at once). The hash the token endpoint checks and the sealed copy
 * signed calls are verified with change in one transaction (the previous ones kept for the same
 * window). Returns the new secret, shown once to whoever asked; undefined when there is no such app.
 */
export async function rotateAppSecret(
  storage: Storage,
  secretKey: Buffer,
  appKey: string,
  overlapHours: number,
  now: number,
  audit?: AppAudit,
): Promise<string | undefined> {
  if (!(Number.isInteger(overlapHours) && overlapHours >= 0 && overlapHours <= MAX_OVERLAP_HOURS)) {
    throw new AppInputError('overlap_hours', `overlap_hours must be a whole number from 0 to ${MAX_OVERLAP_HOURS}`);
  }
  const secret = randomToken('hex32');
  const done = await storage.apps.replaceSecret(
    appKey,
    {
      secretHash: hashAppSecret({ secretKey }, secret),
      sealedSecret: sealSecret(secretKey, appKey, secret),
      keepCurrentUntil: overlapHours > 0 ? now + overlapHours * 3600_000 : null,
    },
    audit && auditEvent(appKey, now, { detail: { overlap_hours: overlapHours }, ...audit }, 'app.secret_rotated'),
  );
  return done ? secret : undefined;
}

/**
 * Give an app a new secret without an overlap and without touching a previous one on file (the
 * sandbox renews its demo app's secret at every start, since secrets are stored hashed).
 */
export async function renewAppSecret(
  storage: Storage,
  secretKey: Buffer,
  appKey: string,
  secret: string,
  now: number,
): Promise<boolean> {
  return storage.apps.replaceSecret(
    appKey,
    { secretHash: hashAppSecret({ secretKey }, secret), sealedSecret: sealSecret(secretKey, appKey, secret) },
    { at: now, event: 'app.secret_rotated', actor: null, appKey, sellerId: null, subject: appKey, detail: null },
  );
}

/** "Revoke the previous secret now": neither the token endpoint nor signed calls accept it any more. */
export async function endPreviousSecret(
  storage: Storage,
  appKey: string,
  now = Date.now(),
  audit?: AppAudit,
): Promise<void> {
  await storage.apps.endPreviousSecret(appKey, audit && auditEvent(appKey, now, audit, 'app.previous_secret_revoked'));
}

/** The console's view of an app, with the webhook URL from the gateway settings. */
export async function loadAppDetails(storage: Storage, appKey: string): Promise<AppDetails | undefined> {
  const details = await storage.console.appDetails(appKey);
  if (!details) return undefined;
  const gateway = await storage.gateway?.apps.find(appKey);
  return {
    ...details,
    webhookUrl: gateway?.webhookUrl ?? null,
    fragmentRedirect: gateway?.fragmentRedirect ?? null,
    clientSideFlowAt: gateway?.clientSideFlowAt ?? null,
  };
}

/** Everything an operator sees about an app: the console's view and the gateway's settings. */
export interface AppView extends AppDetails {
  /** Permission packages; null: all. */
  permissions: string[] | null;
  quotaPerDay: number | null;
  quotaPerSecond: number | null;
  /** Order receivers the app may decrypt per GMT+8 day; null: the server's default. */
  receiverQuotaPerDay: number | null;
  /** Message service topics (issue 16 §2). */
  topics: string[];
}

/** One app as the operator and the management API see it. */
export async function loadAppView(storage: Storage, appKey: string): Promise<AppView | undefined> {
  const details = await storage.console.appDetails(appKey);
  if (!details) return undefined;
  const gateway = await storage.gateway?.apps.find(appKey);
  return {
    ...details,
    webhookUrl: gateway?.webhookUrl ?? null,
    permissions: gateway?.permissions ?? null,
    quotaPerDay: gateway?.quotaPerDay ?? null,
    quotaPerSecond: gateway?.quotaPerSecond ?? null,
    receiverQuotaPerDay: gateway?.receiverQuotaPerDay ?? null,
    topics: gateway?.topics ?? [],
  };
}

function auditEvent(appKey: string, now: number, audit: AppAudit, fallback: string): AuditEvent {
  return {
    at: now,
    event: audit.event ?? fallback,
    actor: audit.actor,
    appKey,
    sellerId: null,
    subject: null,
    detail: audit.detail ?? null,
  };
}
