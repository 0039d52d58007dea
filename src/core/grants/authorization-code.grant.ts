import { withPublicStoreId } from '../../sellers/store-id.js';
import { sha256, sha256Base64url } from '../../crypto/tokens.js';
import { InvalidGrantError, InvalidRequestError } from '../errors.js';
import { param } from '../params.js';
import { mintTokens, newGrant, subscriptionCap } from '../token-issuer.js';
import type { GrantHandler } from './grant-handler.js';
import { grantRules } from '../../profiles/profile.js';
import { storesOf } from '../../storage/ports.js';

/** RFC 7636 §4.1: 43–128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The authorization code grant (RFC 6749 §4.1.3, §4.1.4) with PKCE (RFC 7636 §4.6).
 * A code is single-use: a second redemption revokes everything issued from it (§4.1.2,
 * RFC 9700 §4.2.4, §4.5) — the tokens of that code's chain, not the other consents merged into
 * the same grant (docs/adr/0150). A failed check burns the code.
 */
export const authorizationCodeGrant: GrantHandler = {
  grantType: 'authorization_code',
  async handle(ctx, params, client) {
    const code = param(params, 'code');
    if (code === undefined) throw new InvalidRequestError('missing code');
    const redirectUri = param(params, 'redirect_uri');
    const verifier = param(params, 'code_verifier');
    const codeHash = sha256(code);
    const now = ctx.now();

    // Step 1: the code exists and was never used.
    const stored = await ctx.storage.codes.find(codeHash);
    if (!stored) throw new InvalidGrantError('the authorization code is invalid or expired', 'unknown code');
    if (stored.consumedAt !== null) {
      if (stored.grantId)
        await ctx.storage.grants.revokeFromCode({ grantId: stored.grantId, codeHash, now, reason: 'code_replay' });
      throw new InvalidGrantError(
        'the authorization code is invalid or expired',
        'code replayed; tokens from it revoked',
      );
    }
    const burn = async (detail: string): Promise<never> => {
      await ctx.storage.codes.burn(codeHash, now);
      throw new InvalidGrantError('the authorization code is invalid or expired', detail);
    };

    // Step 2: it was issued to this client, is fresh, and for this redirect_uri (§4.1.3).
    if (stored.appKey !== client.appKey) return burn(`code issued to ${stored.appKey}, presented by ${client.appKey}`);
    if (stored.expiresAt <= now) return burn('code expired');
    if (stored.redirectUriSent && redirectUri === undefined) return burn('redirect_uri missing at the token endpoint');
    if (redirectUri !== undefined && redirectUri !== stored.redirectUri)
      return burn('redirect_uri differs from the authorization request');

    // Step 3: PKCE (RFC 7636 §4.6) and downgrade protection (RFC 9700 §2.1.1).
    if (stored.codeChallenge !== null) {
      if (verifier === undefined) return burn('code_verifier missing');
      if (!VERIFIER.test(verifier)) return burn('code_verifier malformed');
      const computed = sha256Base64url(verifier);
      if (computed !== stored.codeChallenge) return burn('code_verifier does not match code_challenge');
    } else if (verifier !== undefined) {
      return burn('code_verifier sent for a code issued without code_challenge');
    }

    // Step 3a: a paid app needs the seller's active subscription, and its tokens end with it (docs/adr/0140).
    const cap = await subscriptionCap(ctx, client, stored.sellerId, now);
    if (cap.missing) return burn('the seller has no active subscription to this app');

    // Step 4: redeem atomically; exactly one concurrent caller wins.
    const grant = newGrant(ctx, {
      appKey: client.appKey,
      sellerId: stored.sellerId,
      storeIds: storesOf(stored),
      scope: stored.scope,
    });
    const withRefresh =
      ctx.profile.token.grantTypes.includes('refresh_token') || ctx.profile.refresh.issueWithoutRefreshGrant === true;
    const minted = mintTokens(ctx, grant, stored.scope, withRefresh, client, codeHash, cap.until);
    await withPublicStoreId(ctx, minted.values, grant.storeId);
    // A later consent replaces the seller's live grant for the app, or adds to it (profile `grants.reconsent`).
    const result = await ctx.storage.grants.redeemAuthCode({
      codeHash,
      now,
      grant,
      tokens: minted.records,
      reconsent: grantRules(ctx.profile).reconsent,
    });
    if (result.status !== 'redeemed') {
      if (result.status === 'already_used' && result.grantId && result.grantId !== grant.grantId) {
        await ctx.storage.grants.revokeFromCode({ grantId: result.grantId, codeHash, now, reason: 'code_replay' });
      }
      throw new InvalidGrantError(
        'the authorization code is invalid or expired',
        'code redeemed concurrently; tokens from it revoked',
      );
    }
    return { values: minted.values, shape: 'code' };
  },
};
