import type { Profile, ResponseField } from './profile.js';
import { legacyStatusCodes, sellerScope } from './shared-scopes.js';

/** Token response fields, the same for the code exchange and the refresh. */
const TOKEN_FIELDS: ResponseField[] = [
  { name: 'statusCode', value: '0000000' },
  { name: 'access_token', from: 'access_token' },
  { name: 'access_expires_in', from: 'expires_in', type: 'number' },
  { name: 'refresh_token', from: 'refresh_token' },
  { name: 'refresh_expires_in', from: 'refresh_expires_in', type: 'number' },
];

/**
 * Build a profile of the meilishuo family (meilishuo, mogujie: one document, two platforms):
 * `app_key`/`app_secret`, code exchange by GET or POST (query parameters as the docs show),
 * refresh by POST with rotation, the client-side flow, `statusCode` "0000000",
 * redirect_uri under the callback's registrable ("top-level") domain.
 */
export function meilishuoFamilyProfile(name: string, title: string): Profile {
  return {
    name,
    title,
    defaultLang: 'zh-CN',
    paths: { authorize: '/authorize', token: '/token', revoke: '/revoke', introspect: '/introspect' },
    params: { clientId: ['app_key', 'client_id'], clientSecret: ['app_secret', 'client_secret'] },
    authorize: {
      required: ['client_id', 'response_type'],
      // "对于Server-side flow,redirect_uri是必选参数"
      requiredFor: { code: ['redirect_uri'] },
      responseTypes: ['code', 'token'],
      defaultScope: 'seller',
      views: [],
    },
    token: {
      methods: { authorization_code: ['GET', 'POST'], refresh_token: ['POST'] },
      grantTypes: ['authorization_code', 'refresh_token'],
      queryOnPost: true,
    },
    scopes: sellerScope,
    // Code 5 minutes, AccessToken 7 days, RefreshToken 14 days, as documented.
    lifetimes: { code: 300, access: 7 * 24 * 3600, refresh: 14 * 24 * 3600 },
    refresh: { rotate: true, graceSeconds: 60 },
    // "同一个用户对应一个AppKey只会生效最后一次授权的AccessToken与RefreshToken": the last authorization wins.
    grants: { stores: 'one', reconsent: 'replace' },
    redirectRule: 'registrable-domain',
    requirePkce: false,
    tokenFormat: 'hex32',
    tokenType: 'bearer',
    responses: {
      code: TOKEN_FIELDS,
      // The refresh answer has the same fields as the code exchange.
      refresh: TOKEN_FIELDS,
      errorExtras: [{ name: 'statusCode', from: 'error_status', type: 'string' }],
    },
    errorStatusCodes: legacyStatusCodes,
  };
}

/** 美丽说 (seeds/meilishuo-oauth.txt). */
export const meilishuoProfile: Profile = meilishuoFamilyProfile('meilishuo', '美丽说');
