import { seal, unseal } from '../../crypto/seal.js';
import { withPublicStoreId } from '../../sellers/store-id.js';
import { sha256 } from '../../crypto/tokens.js';
import type { TokenResponseValues } from '../../profiles/profile.js';
import type { GrantRecord, SealedSuccessor } from '../../storage/ports.js';
import type { CoreContext } from '../context.js';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors.js';
import { param } from '../params.js';
import { mintTokens, subscriptionCap, type MintedTokens } from '../token-issuer.js';
import type { GrantHandler, GrantResult } from './grant-handler.js';

/** The sealing purpose of refresh successors: their own key, derived from the server key (docs/adr/0100). */
export const SUCCESSOR_SEAL_PURPOSE = 'shouquan/refresh-successor/v1';

/**
 * What is sealed of a successor: its two token strings and the access token's expiry (epoch ms),
 * as `<access> <refresh> <expiry, base 36>` (tokens never contain a space). The rest of the answer
 * (scope, the refresh token's expiry) is read from the successor's refresh token row, which a
 * retry looks up anyway. Compact on purpose: it is written on every refresh (docs/adr/0100).
 */
function packSuccessor(accessToken: string, refreshToken: string, accessExpiresAt: number): string {
  return `${accessToken} ${refreshToken} ${accessExpiresAt.toString(36)}`;
}

function unpackSuccessor(
  text: string,
): { accessToken: string; refreshToken: string; accessExpiresAt: number } | undefined {
  const [accessToken, refreshToken, expiry, extra] = text.split(' ');
  if (!accessToken || !refreshToken || !expiry || extra !== undefined) return undefined;
  return { accessToken, refreshToken, accessExpiresAt: parseInt(expiry, 36) };
}

/**
 * The refresh token grant (RFC 6749 §6). With rotation on (RFC 9700 §4.14.2) each use
 * returns a new refresh token; presenting a rotated one revokes the whole grant (family),
 * except within the grace window (docs/adr/0100): a refresh token rotated no more than G seconds
 * ago whose successor's refresh token is still unused gets that very successor again (a retry
 * after a lost answer, or a concurrent request), with `expires_in` counting down.
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  async handle(ctx, params, client) {
    const presented = param(params, 'refresh_token');
    if (presented === undefined) throw new InvalidRequestError('missing refresh_token');
    const now = ctx.now();
    const invalid = (detail: string) =>
      new InvalidGrantError('the refresh token is invalid, expired or revoked', detail);

    // Step 1: a live refresh token of this client.
    const token = await ctx.storage.tokens.find(sha256(presented));
    if (!token || token.kind !== 'refresh') throw invalid('unknown refresh token');
    if (token.appKey !== client.appKey) throw invalid(`refresh token of ${token.appKey} presented by ${client.appKey}`);
    if (token.grant.revokedAt !== null) throw invalid(`grant revoked (${token.grant.revokedReason ?? 'revoked'})`);
    if (token.revokedAt !== null) throw invalid('refresh token revoked');
    // A paid app: only with the seller's active subscription, up to its end, which a renewal moved
    // (docs/adr/0140). Checked before reuse detection: a retry after the end is not a replay.
    const cap = await subscriptionCap(ctx, client, token.grant.sellerId, now);
    if (cap.missing) throw invalid('the seller has no active subscription to this app');
    if (token.rotatedAt !== null) {
      // Step 1a: rotated already; within the grace window the same successor again (docs/adr/0100).
      const again = await sameSuccessor(ctx, token.tokenHash, token.rotatedAt, token.successor, token.grant, now);
      if (again) return again;
      await ctx.storage.grants.revoke(token.grantId, now, 'refresh_reuse');
      throw invalid('rotated refresh token reused; grant revoked');
    }
    if (token.expiresAt <= now) throw invalid('refresh token expired');

    // Step 2: scope may only narrow (§6).
    let scope = token.scope;
    const requested = param(params, 'scope');
    if (requested !== undefined) {
      const list = [...new Set(requested.split(' ').filter((s) => s !== ''))];
      const extra = list.find((s) => !token.scope.includes(s));
      if (extra !== undefined) throw new InvalidScopeError(`scope ${extra} was not granted`);
      if (list.length > 0) scope = list;
    }

    // Step 3: issue; with rotation, exactly one concurrent caller rotates, and the successor is
    // kept sealed on the old token for the grace window (in the same UPDATE that rotates it).
    const rotate = ctx.profile.refresh.rotate;
    // The successor belongs to the same code's chain as the token it replaces (docs/adr/0150).
    const minted = mintTokens(ctx, token.grant, scope, rotate, client, token.codeHash ?? null, cap.until);
    await withPublicStoreId(ctx, minted.values, token.grant.storeId);
    if (rotate) {
      const grace = ctx.lifetimes.refreshGrace;
      const successor = grace > 0 ? sealSuccessor(ctx, token.tokenHash, minted, now + grace * 1000) : undefined;
      const result = await ctx.storage.tokens.rotateRefreshToken({
        oldHash: token.tokenHash,
        now,
        tokens: minted.records,
        successor,
      });
      if (result.status !== 'rotated') {
        // Lost to a concurrent rotation: its successor, when the window allows.
        const again = result.successor
          ? await sameSuccessor(ctx, token.tokenHash, null, result.successor, token.grant, now)
          : undefined;
        if (again) return again;
        await ctx.storage.grants.revoke(token.grantId, now, 'refresh_reuse');
        throw invalid('refresh token rotated concurrently; grant revoked');
      }
    } else {
      await ctx.storage.tokens.insert(minted.records);
    }
    return { values: minted.values, shape: 'refresh' };
  },
};

/** Seal a successor's answer, bound to the old token's hash (it opens on no other row). */
function sealSuccessor(ctx: CoreContext, oldHash: string, minted: MintedTokens, graceUntil: number): SealedSuccessor {
  const access = minted.records[0]!;
  const packed = packSuccessor(minted.values.access_token, minted.values.refresh_token!, access.expiresAt);
  return { sealed: seal(ctx.secretKey, SUCCESSOR_SEAL_PURPOSE, oldHash, packed), graceUntil };
}

/**
 * The successor kept for a rotated refresh token, if it may be handed out again: the window (the
 * one sealed with it, and no longer than today's setting) is still open, and the successor's own
 * refresh token is live and unused. Using the successor's access token does not matter.
 */
async function sameSuccessor(
  ctx: CoreContext,
  oldHash: string,
  rotatedAt: number | null,
  kept: SealedSuccessor | null | undefined,
  grant: GrantRecord,
  now: number,
): Promise<GrantResult | undefined> {
  const grace = ctx.lifetimes.refreshGrace;
  if (!kept || grace <= 0 || !ctx.profile.refresh.rotate) return undefined;
  if (now > kept.graceUntil || (rotatedAt !== null && now - rotatedAt > grace * 1000)) return undefined;
  const opened = unseal(ctx.secretKey, SUCCESSOR_SEAL_PURPOSE, oldHash, kept.sealed);
  const answer = opened === undefined ? undefined : unpackSuccessor(opened);
  if (answer === undefined) return undefined;
  const next = await ctx.storage.tokens.find(sha256(answer.refreshToken));
  if (
    !next ||
    next.kind !== 'refresh' ||
    next.rotatedAt !== null ||
    next.revokedAt !== null ||
    next.grant.revokedAt !== null ||
    next.expiresAt <= now
  )
    return undefined;
  const seconds = (at: number) => Math.max(0, Math.floor((at - now) / 1000));
  const values: TokenResponseValues = {
    access_token: answer.accessToken,
    token_type: ctx.profile.tokenType,
    expires_in: seconds(answer.accessExpiresAt),
    scope: next.scope.join(' '),
    seller_id: grant.sellerId,
    store_id: grant.storeId,
    refresh_token: answer.refreshToken,
    refresh_expires_in: seconds(next.expiresAt),
  };
  return { values, shape: 'refresh', replayed: true };
}
