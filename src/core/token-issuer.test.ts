import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getProfile } from '../profiles/registry.js';
import { renderFields, tokenResponseFields } from '../profiles/profile.js';
import type { CoreContext } from './context.js';
import { mintTokens, newGrant } from './token-issuer.js';

const NOW = 1_800_000_000_000;

function ctx(profile = 'standard'): CoreContext {
  return {
    storage: undefined as never,
    profile: getProfile(profile),
    issuer: 'http://x',
    lifetimes: { code: 600, access: 7200, refresh: 30 * 86_400, interaction: 1800, session: 3600, refreshGrace: 60 },
    secretKey: Buffer.alloc(32),
    now: () => NOW,
  };
}

describe('mintTokens and a subscription end (docs/adr/0140)', () => {
  const grant = (c: CoreContext) => newGrant(c, { appKey: 'k', sellerId: 1, storeIds: [1], scope: ['seller'] });

  it('caps expires_in, refresh_expires_in and both rows at the end, in whole seconds', () => {
    const c = ctx();
    const m = mintTokens(c, grant(c), ['seller'], true, { status: 'live' }, null, NOW + 3_600_500);
    assert.deepEqual([m.values.expires_in, m.values.refresh_expires_in], [3600, 3600]);
    assert.deepEqual(
      m.records.map((r) => r.expiresAt),
      [NOW + 3_600_000, NOW + 3_600_000],
    );
  });

  it('an end past both lifetimes changes nothing; an end between them caps only the refresh token', () => {
    const c = ctx();
    const far = mintTokens(c, grant(c), ['seller'], true, { status: 'live' }, null, NOW + 365 * 86_400_000);
    assert.deepEqual([far.values.expires_in, far.values.refresh_expires_in], [7200, 30 * 86_400]);
    const mid = mintTokens(c, grant(c), ['seller'], true, { status: 'live' }, null, NOW + 86_400_000);
    assert.deepEqual([mid.values.expires_in, mid.values.refresh_expires_in], [7200, 86_400]);
  });

  it("the profile's refresh lifetime field carries the cap (smallec: re_expires_in)", () => {
    const c = ctx('smallec');
    const m = mintTokens(c, grant(c), ['seller'], true, { status: 'live' }, null, NOW + 86_400_000);
    const body = renderFields(tokenResponseFields(c.profile, 'code'), m.values);
    assert.equal(body.re_expires_in, 86_400);
  });
});
