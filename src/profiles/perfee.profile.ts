import type { Profile } from './profile.js';
import { sellerScope } from './shared-scopes.js';

/**
 * PerFee OpenAPI v2 (seeds/perfee-openapi-v2.md): authorization code only, all five
 * authorize parameters required, refresh without rotation, redirect_uri on the callback's host.
 */
export const perfeeProfile: Profile = {
  name: 'perfee',
  title: 'PerFee',
  defaultLang: 'zh-CN',
  paths: {
    authorize: '/v2/oauth/authorize',
    token: '/v2/oauth/token',
    revoke: '/v2/oauth/revoke',
    introspect: '/v2/oauth/introspect',
  },
  params: { clientId: ['client_id', 'app_key'], clientSecret: ['client_secret', 'app_secret'] },
  authorize: {
    required: ['client_id', 'redirect_uri', 'state', 'scope', 'response_type'],
    responseTypes: ['code'],
    defaultScope: 'seller',
    views: [],
  },
  token: {
    methods: { authorization_code: ['POST'], refresh_token: ['POST'] },
    grantTypes: ['authorization_code', 'refresh_token'],
  },
  scopes: sellerScope,
  // "注意code的有效期很短": 5 minutes. expires_in 7200 and refresh_token_expires_in 31104000 as documented.
  lifetimes: { code: 300, access: 7200, refresh: 31104000 },
  refresh: { rotate: false },
  // "选择需要授权的店铺store": one store per authorization; a new one replaces it.
  grants: { stores: 'one', reconsent: 'replace' },
  redirectRule: 'same-host',
  requirePkce: false,
  tokenFormat: 'hex32',
  tokenType: 'bearer',
  responses: {
    code: [
      { name: 'token_type', from: 'token_type' },
      { name: 'access_token', from: 'access_token' },
      { name: 'expires_in', from: 'expires_in', type: 'number' },
      { name: 'refresh_token', from: 'refresh_token' },
      { name: 'refresh_token_expires_in', from: 'refresh_expires_in', type: 'number' },
    ],
    refresh: [
      { name: 'token_type', from: 'token_type' },
      { name: 'access_token', from: 'access_token' },
      { name: 'expires_in', from: 'expires_in', type: 'number' },
    ],
    errorExtras: [],
  },
};
