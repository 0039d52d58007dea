import { sha256 } from '../../crypto/tokens.js';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError } from '../errors.js';
import { param } from '../params.js';
import { mintTokens } from '../token-issuer.js';
import type { GrantHandler } from './grant-handler.js';

/**
 * The refresh token grant (RFC 6749 §6). With rotation on (RFC 9700 §4.14.2) each use
 * returns a new refresh token; presenting a rotated one revokes the whole grant (family).
 */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  async handle(ctx, params, client) {
    const presented = param(params, 'refresh_token');
    if (presented === undefined) throw new InvalidRequestError('missing refresh_token');
    const now = ctx.now();
    const invalid = (detail: string) => new InvalidGrantError('the refresh token is invalid, expired or revoked', detail);

    // Step 1: a live refresh token of this client.
    const token = await ctx.storage.tokens.find(sha256(presented));
    if (!token || token.kind !== 'refresh') throw invalid('unknown refresh token');
    if (token.appKey !== client.appKey) throw invalid(`refresh token of ${token.appKey} presented by ${client.appKey}`);
    if (token.grant.revokedAt !== null) throw invalid(`grant revoked (${token.grant.revokedReason ?? 'revoked'})`);
    if (token.revokedAt !== null) throw invalid('refresh token revoked');
    if (token.rotatedAt !== null) {
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

    // Step 3: issue; with rotation, exactly one concurrent caller wins.
    const rotate = ctx.profile.refresh.rotate;
    const minted = mintTokens(ctx, token.grant, scope, rotate, client);
    if (rotate) {
      const result = await ctx.storage.tokens.rotateRefreshToken({ oldHash: token.tokenHash, now, tokens: minted.records });
      if (result.status !== 'rotated') {
        await ctx.storage.grants.revoke(token.grantId, now, 'refresh_reuse');
        throw invalid('refresh token rotated concurrently; grant revoked');
      }
    } else {
      await ctx.storage.tokens.insert(minted.records);
    }
    return { values: minted.values, shape: 'refresh' };
  },
};
