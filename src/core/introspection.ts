import { storesOf } from '../storage/ports.js';
import { sha256 } from '../crypto/tokens.js';
import type { AppRecord } from '../storage/ports.js';
import type { CoreContext } from './context.js';
import { InvalidRequestError } from './errors.js';
import { param, rejectDuplicates, type ParamBag } from './params.js';
import { isLive } from './bearer.js';
import { publicStoreIdOf } from '../sellers/store-id.js';

/**
 * Token introspection (RFC 7662 §2). A client only learns about its own tokens: anything
 * else is `{ "active": false }` (§2.2, §4).
 */
export async function introspect(
  ctx: CoreContext,
  client: AppRecord,
  params: ParamBag,
): Promise<Record<string, unknown>> {
  rejectDuplicates(params);
  const token = param(params, 'token');
  if (token === undefined) throw new InvalidRequestError('missing token');
  const found = await ctx.storage.tokens.find(sha256(token));
  if (!found || found.appKey !== client.appKey || !isLive(found, ctx.now())) return { active: false };
  return {
    active: true,
    client_id: found.appKey,
    scope: found.scope.join(' '),
    token_type: found.kind === 'access' ? 'bearer' : 'refresh_token',
    exp: Math.floor(found.expiresAt / 1000),
    iat: Math.floor(found.createdAt / 1000),
    sub: String(found.grant.sellerId),
    // The platform's own ids for stores from its account system (docs/adr/0125).
    store_id: await publicStoreIdOf(ctx.storage, found.grant.storeId),
    // Every store the token covers (docs/adr/0135); `store_id` is the first.
    store_ids: await Promise.all(storesOf(found.grant).map((id) => publicStoreIdOf(ctx.storage, id))),
    iss: ctx.issuer,
  };
}
