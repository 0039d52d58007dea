import { OAuthError } from '../../core/errors.js';
import { refreshTokenGrant } from '../../core/grants/refresh-token.grant.js';
import { renderFields, tokenResponseFields } from '../../profiles/profile.js';
import { GATEWAY_CODES, GatewayError, missingArgument } from '../errors.js';
import type { GatewayMethod } from './method.js';

/**
 * `<prefix>.auth.token.refresh`: the refresh token grant (RFC 6749 §6) as a signed API call,
 * authenticated by the signature instead of a client secret. It runs the core's refresh grant
 * (rotation and reuse detection included) and answers with the profile's refresh response
 * fields, so it returns exactly what the token endpoint would.
 */
export const authTokenRefreshMethod: GatewayMethod = {
  name: 'auth.token.refresh',
  permission: '',
  needsSession: false,
  async handle(call) {
    const refreshToken = call.args.get('refresh_token');
    if (refreshToken === undefined || refreshToken === '') throw missingArgument('refresh_token');
    const bag = new Map<string, string[]>([['refresh_token', [refreshToken]]]);
    const scope = call.args.get('scope');
    if (scope !== undefined) bag.set('scope', [scope]);
    try {
      const result = await refreshTokenGrant.handle(call.core, bag, call.app);
      return renderFields(tokenResponseFields(call.core.profile, 'refresh'), result.values);
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      const name = e.code === 'invalid_scope' ? 'scope' : 'refresh_token';
      throw new GatewayError(GATEWAY_CODES.invalidArguments, `isv.invalid-parameter:${name}`, e.description);
    }
  },
};
