import type { Profile } from './profile.js';

/**
 * The standard profile: RFC 6749 as tightened by the OAuth 2.0 Security BCP (RFC 9700):
 * exact redirect_uri matching, refresh-token rotation, S256-only PKCE.
 */
export const standardProfile: Profile = {
  name: 'standard',
  title: 'Shouquan',
  defaultLang: 'en',
  paths: {
    authorize: '/oauth/authorize',
    token: '/oauth/token',
    revoke: '/oauth/revoke',
    introspect: '/oauth/introspect',
  },
  params: { clientId: ['client_id', 'app_key'], clientSecret: ['client_secret', 'app_secret'] },
  authorize: {
    required: ['response_type', 'client_id'],
    responseTypes: ['code'],
    defaultScope: 'seller',
    views: [],
  },
  token: {
    methods: { authorization_code: ['POST'], refresh_token: ['POST'] },
    grantTypes: ['authorization_code', 'refresh_token'],
  },
  scopes: {
    seller: {
      en: "Read and manage the chosen store's products, orders and store settings on your behalf",
      zh: '代表您读取和管理所选店铺的商品、订单和店铺配置',
    },
  },
  lifetimes: { code: 600, access: 7200, refresh: 30 * 24 * 3600 },
  refresh: { rotate: true },
  // Issue 19: several stores in one grant; a later consent adds to the live grant.
  grants: { stores: 'several', reconsent: 'add' },
  redirectRule: 'exact',
  requirePkce: false,
  tokenFormat: 'base64url',
  tokenType: 'bearer',
  responses: {
    code: [
      { name: 'access_token', from: 'access_token' },
      { name: 'token_type', from: 'token_type' },
      { name: 'expires_in', from: 'expires_in' },
      { name: 'refresh_token', from: 'refresh_token' },
      { name: 'scope', from: 'scope' },
    ],
    refresh: [
      { name: 'access_token', from: 'access_token' },
      { name: 'token_type', from: 'token_type' },
      { name: 'expires_in', from: 'expires_in' },
      { name: 'refresh_token', from: 'refresh_token' },
      { name: 'scope', from: 'scope' },
    ],
    errorExtras: [],
  },
};
