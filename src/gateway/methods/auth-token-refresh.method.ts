import { OAuthError } from '../../core/errors.js';
import { refreshTokenGrant } from '../../core/grants/refresh-token.grant.js';
import { renderFields, tokenResponseFields } from '../../profiles/profile.js';
import { fieldsSchema } from '../../profiles/response-schema.js';
import { GATEWAY_CODES, GatewayError } from '../errors.js';
import { arg } from './args.js';
import { defineMethod } from './method.js';

/**
 * `<prefix>.auth.token.refresh`: the refresh token grant (RFC 6749 §6) as a signed API call,
 * authenticated by the signature instead of a client secret. It runs the core's refresh grant
 * (rotation and reuse detection included) and answers with the profile's refresh response
 * fields, so it returns exactly what the token endpoint would.
 */
export const authTokenRefreshMethod = defineMethod({
  name: 'auth.token.refresh',
  summary: 'Refresh the seller’s tokens (RFC 6749 §6 as a signed call); answers the profile’s token-endpoint fields',
  summaryZh: '刷新卖家的令牌（以签名调用完成 RFC 6749 §6 的刷新），返回与令牌端点相同的字段',
  permission: '',
  needsSession: false,
  args: {
    refresh_token: arg.text('the refresh token', { required: true, max: Infinity }),
    scope: arg.raw('a narrower scope (optional)'),
  },
  answer: (profile) => fieldsSchema(tokenResponseFields(profile, 'refresh')),
  async run(call, a) {
    const bag = new Map<string, string[]>([['refresh_token', [a.refresh_token]]]);
    if (a.scope !== undefined) bag.set('scope', [a.scope]);
    try {
      const result = await refreshTokenGrant.handle(call.core, bag, call.app);
      return renderFields(tokenResponseFields(call.core.profile, 'refresh'), result.values);
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      const name = e.code === 'invalid_scope' ? 'scope' : 'refresh_token';
      throw new GatewayError(GATEWAY_CODES.invalidArguments, `isv.invalid-parameter:${name}`, e.description);
    }
  },
});
