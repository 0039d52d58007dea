import { randomToken, sha256 } from '../crypto/tokens.js';
import type { AuthCodeRecord, AuthorizationRequestData } from '../storage/ports.js';
import { buildRedirect } from './authorization-request.js';
import type { CoreContext } from './context.js';
import { AccessDeniedError, type OAuthError } from './errors.js';
import { mintTokens, newGrant, subscriptionCap } from './token-issuer.js';
import { grantRules } from '../profiles/profile.js';

/**
 * The seller approved for one or more stores: issue an authorization code (RFC 6749 §4.1.2) or,
 * for the implicit flow, an access token in the fragment (§4.2.2, never a refresh token).
 * Returns the redirect. With `consumeInteraction` (the code flow only), the interaction is
 * consumed and the code stored in one transaction; undefined (nothing issued) when the
 * interaction was already consumed or expired.
 */
export async function approveAuthorization(
  ctx: CoreContext,
  request: AuthorizationRequestData,
  sellerId: number,
  storeIds: number[],
  opts: { consumeInteraction?: string } = {},
): Promise<string | undefined> {
  const now = ctx.now();
  const storeId = storeIds[0];
  if (storeId === undefined) throw new Error('approveAuthorization needs at least one store');
  if (request.responseType === 'token') {
    const grant = newGrant(ctx, { appKey: request.appKey, sellerId, storeIds, scope: request.scope });
    // A paid app's token ends with the seller's subscription (docs/adr/0140; the page checked there is one).
    const app = await ctx.storage.apps.find(request.appKey);
    const cap = app ? await subscriptionCap(ctx, app, sellerId, now) : { missing: false };
    if (cap.missing)
      return errorRedirect(ctx, request, new AccessDeniedError('the seller has no active subscription to this app'));
    const minted = mintTokens(
      ctx,
      grant,
      request.scope,
      false,
      undefined,
      null,
      'until' in cap ? cap.until : undefined,
    );
    await ctx.storage.grants.createWithTokens({
      now,
      grant,
      tokens: minted.records,
      reconsent: grantRules(ctx.profile).reconsent,
    });
    // The developer console warns apps that use this flow (docs/adr/0116); one write a day at most.
    const gateway = ctx.storage.gateway?.apps;
    const last = (await gateway?.find(request.appKey))?.clientSideFlowAt;
    if (gateway && (last === null || last === undefined || now - last > 86_400_000))
      await gateway.upsert(request.appKey, { clientSideFlowAt: now });
    return buildRedirect(request.redirectUri, 'fragment', {
      access_token: minted.values.access_token,
      token_type: minted.values.token_type,
      expires_in: String(minted.values.expires_in),
      scope: minted.values.scope,
      state: request.state,
      iss: ctx.issuer,
    });
  }
  const code = randomToken(ctx.profile.tokenFormat);
  const record: AuthCodeRecord = {
    codeHash: sha256(code),
    appKey: request.appKey,
    sellerId,
    storeId,
    storeIds,
    redirectUri: request.redirectUri,
    redirectUriSent: request.redirectUriSent,
    scope: request.scope,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    createdAt: now,
    expiresAt: now + Math.min(ctx.lifetimes.code, 600) * 1000,
    consumedAt: null,
    grantId: null,
  };
  if (opts.consumeInteraction !== undefined) {
    if (!(await ctx.storage.interactions.consumeWithCode(opts.consumeInteraction, now, record))) return undefined;
  } else {
    await ctx.storage.codes.create(record);
  }
  return buildRedirect(request.redirectUri, 'query', { code, state: request.state, iss: ctx.issuer });
}

/** The seller said no, or something failed after the client was trusted (§4.1.2.1). */
export function errorRedirect(
  ctx: CoreContext,
  target: { redirectUri: string; responseMode: 'query' | 'fragment'; state: string | null },
  error: OAuthError,
): string {
  return buildRedirect(target.redirectUri, target.responseMode, {
    error: error.code,
    error_description: error.description,
    state: target.state,
    iss: ctx.issuer,
  });
}

/** The seller pressed "deny". */
export function denyAuthorization(ctx: CoreContext, request: AuthorizationRequestData): string {
  return errorRedirect(ctx, request, new AccessDeniedError('the seller declined to authorize the app'));
}
