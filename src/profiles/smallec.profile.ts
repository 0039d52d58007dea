import type { Profile, ResponseField } from './profile.js';
import { sellerScope } from './shared-scopes.js';

/** Token response fields, the same for the code exchange and the refresh. */
const TOKEN_FIELDS: ResponseField[] = [
  { name: 'token_type', from: 'token_type' },
  { name: 'expires_in', from: 'expires_in', type: 'number' },
  { name: 'access_token', from: 'access_token' },
  { name: 'refresh_token', from: 'refresh_token' },
  { name: 're_expires_in', from: 'refresh_expires_in', type: 'number' },
  { name: 'psdm_user_id', from: 'seller_id', type: 'number' },
];

/**
 * 易启管 smallec (seeds/smallec-oauth.txt): server-side flow only, `view` (web/tmall/wap),
 * redirect_uri on the callback's host or registrable domain, numeric `psdm_user_id`.
 * Refresh goes through the signed API method `psdm.auth.token.refresh`, not the token
 * endpoint, so the refresh token is issued without a refresh grant here.
 */
export const smallecProfile: Profile = {
  name: 'smallec',
  title: '易启管',
  defaultLang: 'zh-CN',
  paths: {
    authorize: '/oauth/authorize',
    token: '/oauth/token',
    revoke: '/oauth/revoke',
    introspect: '/oauth/introspect',
  },
  params: { clientId: ['client_id', 'app_key'], clientSecret: ['client_secret', 'app_secret'] },
  authorize: {
    required: ['client_id', 'response_type', 'redirect_uri'],
    responseTypes: ['code'],
    defaultScope: 'seller',
    views: ['web', 'tmall', 'wap'],
  },
  token: {
    methods: { authorization_code: ['POST'] },
    grantTypes: ['authorization_code'],
    unsupportedGrantHints: { refresh_token: 'refresh through the API method psdm.auth.token.refresh' },
  },
  scopes: sellerScope,
  // The doc's example answers expires_in and re_expires_in 31536000 (one year); code ≤ 10 minutes.
  lifetimes: { code: 600, access: 31536000, refresh: 31536000 },
  refresh: { rotate: true, issueWithoutRefreshGrant: true, graceSeconds: 60 },
  // The document is silent: one store, the last authorization wins (RFC 6749 leaves it open).
  grants: { stores: 'one', reconsent: 'replace' },
  redirectRule: 'host-or-registrable-domain',
  requirePkce: false,
  tokenFormat: 'hex32',
  tokenType: 'Bearer',
  // 刷新授权: "具体见【psdm.auth.token.refresh】API接口" — the gateway's method prefix is psdm.
  gateway: { methodPrefix: 'psdm' },
  responses: {
    code: TOKEN_FIELDS,
    // The refresh answer has the same fields as the code exchange.
    refresh: TOKEN_FIELDS,
    errorExtras: [],
  },
};
