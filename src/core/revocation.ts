import { sha256 } from '../crypto/tokens.js';
import type { AppRecord } from '../storage/ports.js';
import type { CoreContext } from './context.js';
import { InvalidRequestError } from './errors.js';
import { param, rejectDuplicates, type ParamBag } from './params.js';

/**
 * Token revocation (RFC 7009 §2). Revoking a refresh token ends the whole grant (§2.1:
 * "SHOULD also invalidate all access tokens based on the same authorization grant").
 * Unknown tokens and other clients' tokens get the same 200 (§2.2).
 * Both access and refresh tokens can be revoked, so `unsupported_token_type` never applies.
 */
export async function revoke(ctx: CoreContext, client: AppRecord, params: ParamBag): Promise<void> {
  rejectDuplicates(params);
  const token = param(params, 'token');
  if (token === undefined) throw new InvalidRequestError('missing token');
  // §2.1: token_type_hint is only a hint; every token is found by its hash whatever it says.
  const found = await ctx.storage.tokens.find(sha256(token));
  if (!found || found.appKey !== client.appKey) return;
  const now = ctx.now();
  if (found.kind === 'refresh') await ctx.storage.grants.revoke(found.grantId, now, 'revoked_by_client');
  else await ctx.storage.tokens.revoke(found.tokenHash, now);
}
