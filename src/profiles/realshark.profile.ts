import type { Profile } from './profile.js';
import { meilishuoFamilyProfile } from './meilishuo.profile.js';

const family = meilishuoFamilyProfile('realshark', '锐鲨');

/**
 * 锐鲨 (seeds/realshark-oauth.txt): the meilishuo dialect without `statusCode`, with the
 * authorizing seller's `userid`, and a 10-minute code. The doc gives no token lifetimes;
 * we keep the sibling platforms' 7 and 14 days.
 */
export const realsharkProfile: Profile = {
  ...family,
  lifetimes: { ...family.lifetimes, code: 600 },
  responses: {
    code: [
      { name: 'access_token', from: 'access_token' },
      { name: 'access_expires_in', from: 'expires_in', type: 'number' },
      { name: 'refresh_token', from: 'refresh_token' },
      { name: 'refresh_expires_in', from: 'refresh_expires_in', type: 'number' },
      { name: 'userid', from: 'seller_id', type: 'number' },
    ],
    refresh: [
      { name: 'access_token', from: 'access_token' },
      { name: 'access_expires_in', from: 'expires_in', type: 'number' },
      { name: 'refresh_token', from: 'refresh_token' },
      { name: 'refresh_expires_in', from: 'refresh_expires_in', type: 'number' },
      { name: 'userid', from: 'seller_id', type: 'number' },
    ],
    errorExtras: [],
  },
  errorStatusCodes: undefined,
};
