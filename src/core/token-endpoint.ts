import { renderFields, tokenResponseFields } from '../profiles/profile.js';
import type { AppRecord } from '../storage/ports.js';
import { authenticateClient, type BasicCredentials } from './client-auth.js';
import type { CoreContext } from './context.js';
import { InvalidRequestError, UnauthorizedClientError, UnsupportedGrantTypeError } from './errors.js';
import { authorizationCodeGrant } from './grants/authorization-code.grant.js';
import type { GrantHandler } from './grants/grant-handler.js';
import { refreshTokenGrant } from './grants/refresh-token.grant.js';
import { param, rejectDuplicates, type ParamBag } from './params.js';

/** Every grant the core knows; a profile picks which its token endpoint serves. */
export const grantHandlers: Record<string, GrantHandler> = {
  [authorizationCodeGrant.grantType]: authorizationCodeGrant,
  [refreshTokenGrant.grantType]: refreshTokenGrant,
};

export interface TokenRequest {
  method: 'GET' | 'POST';
  params: ParamBag;
  basic: BasicCredentials | undefined;
}

export interface TokenResponse {
  body: Record<string, unknown>;
  client: AppRecord;
  grantType: string;
  /** The same successor handed out again within the refresh grace window (nothing issued). */
  replayed: boolean;
}

/** The token endpoint (RFC 6749 §3.2, §5), as named steps. */
export async function handleTokenRequest(ctx: CoreContext, req: TokenRequest): Promise<TokenResponse> {
  // §3.2: parameters sent without a value are treated as omitted; none may repeat.
  rejectDuplicates(req.params);
  // §3.2: "The client MUST use the HTTP POST method"; some platforms document GET for one grant.
  if (req.method === 'GET' && !Object.values(ctx.profile.token.methods).some((m) => m.includes('GET'))) {
    throw new InvalidRequestError('the token endpoint accepts only POST');
  }

  // §4.1.3 / §6: which grant.
  const grantType = param(req.params, 'grant_type');
  if (grantType === undefined) throw new InvalidRequestError('missing grant_type');
  const handler = ctx.profile.token.grantTypes.includes(grantType) ? grantHandlers[grantType] : undefined;
  if (!handler) {
    const hint = ctx.profile.token.unsupportedGrantHints?.[grantType];
    throw new UnsupportedGrantTypeError(`grant_type ${grantType} is not supported here${hint ? `: ${hint}` : ''}`);
  }
  const methods = ctx.profile.token.methods[grantType] ?? ['POST'];
  if (!methods.includes(req.method))
    throw new InvalidRequestError(`grant_type ${grantType} must be sent with ${methods.join(' or ')}`);

  // §2.3: authenticate the client.
  const client = await authenticateClient(ctx, req.params, req.basic);
  if (client.status === 'suspended') throw new UnauthorizedClientError('this app is suspended');

  // §5.1: issue, in the profile's own field names.
  const result = await handler.handle(ctx, req.params, client);
  const fields = tokenResponseFields(ctx.profile, result.shape);
  return { body: renderFields(fields, result.values), client, grantType, replayed: result.replayed === true };
}
