import { randomId, randomToken, sha256 } from '../crypto/tokens.js';
import { storesOf, type AppStatus, type GrantRecord, type TokenRecord } from '../storage/ports.js';
import type { TokenResponseValues } from '../profiles/profile.js';
import type { CoreContext } from './context.js';

/** Freshly minted tokens: the rows to store (hashed) and the values to answer with (plain). */
export interface MintedTokens {
  records: TokenRecord[];
  values: TokenResponseValues;
}

/** A new grant row for a seller's authorization of an app for one or more stores (the first is `storeId`). */
export function newGrant(
  ctx: CoreContext,
  input: { appKey: string; sellerId: number; storeIds: number[]; scope: string[] },
): GrantRecord {
  const storeId = input.storeIds[0];
  if (storeId === undefined) throw new Error('a grant covers at least one store');
  return {
    grantId: randomId(),
    appKey: input.appKey,
    sellerId: input.sellerId,
    storeId,
    storeIds: [...input.storeIds],
    scope: input.scope,
    createdAt: ctx.now(),
    revokedAt: null,
    revokedReason: null,
  };
}

/**
 * The end a paid app's new tokens are capped at (docs/adr/0140): undefined for an app that does not
 * require a subscription; for one that does, the end of the seller's active subscription, or
 * `undefined` with `missing: true` when there is none.
 */
export async function subscriptionCap(
  ctx: CoreContext,
  app: { appKey: string; requireSubscription?: boolean },
  sellerId: number,
  now: number,
): Promise<{ until?: number; missing: boolean }> {
  if (!app.requireSubscription) return { missing: false };
  const until = await ctx.storage.subscriptions.activeUntil(app.appKey, sellerId, now);
  return until === undefined ? { missing: true } : { until, missing: false };
}

/** Longest lifetimes (seconds) for an app still in `testing` (docs/adr/0061): one hour, one day. */
export const TESTING_LIFETIMES = { access: 3600, refresh: 86400 } as const;

/**
 * Mint an access token, and a refresh token when asked (RFC 6749 §1.4, §1.5).
 * Tokens carry ≥ 128 bits from the CSPRNG and are stored only as SHA-256 hashes. `codeHash`: the
 * authorization code the chain began with (a replay of it revokes them, docs/adr/0150).
 */
export function mintTokens(
  ctx: CoreContext,
  grant: GrantRecord,
  scope: string[],
  withRefresh: boolean,
  app?: { status: AppStatus },
  codeHash: string | null = null,
  until?: number,
): MintedTokens {
  const now = ctx.now();
  const testing = app?.status === 'testing';
  // A paid app's tokens never outlive the seller's subscription (docs/adr/0140): whole seconds up to it.
  const left = until === undefined ? Infinity : Math.max(0, Math.floor((until - now) / 1000));
  const access = Math.min(
    testing ? Math.min(ctx.lifetimes.access, TESTING_LIFETIMES.access) : ctx.lifetimes.access,
    left,
  );
  const refresh = Math.min(
    testing ? Math.min(ctx.lifetimes.refresh, TESTING_LIFETIMES.refresh) : ctx.lifetimes.refresh,
    left,
  );
  const accessToken = randomToken(ctx.profile.tokenFormat);
  const records: TokenRecord[] = [
    {
      tokenHash: sha256(accessToken),
      kind: 'access',
      grantId: grant.grantId,
      appKey: grant.appKey,
      scope,
      createdAt: now,
      expiresAt: now + access * 1000,
      revokedAt: null,
      rotatedAt: null,
      storeIds: storesOf(grant),
      codeHash,
    },
  ];
  const values: TokenResponseValues = {
    access_token: accessToken,
    token_type: ctx.profile.tokenType,
    expires_in: access,
    scope: scope.join(' '),
    seller_id: grant.sellerId,
    store_id: grant.storeId,
  };
  if (withRefresh) {
    const refreshToken = randomToken(ctx.profile.tokenFormat);
    records.push({
      tokenHash: sha256(refreshToken),
      kind: 'refresh',
      grantId: grant.grantId,
      appKey: grant.appKey,
      scope,
      createdAt: now,
      expiresAt: now + refresh * 1000,
      revokedAt: null,
      rotatedAt: null,
      storeIds: storesOf(grant),
      codeHash,
    });
    values.refresh_token = refreshToken;
    values.refresh_expires_in = refresh;
  }
  return { records, values };
}
