import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { resolveGatewayOptions } from './options.js';
import { backoff, eventFor, webhookSignature } from './webhook.js';

describe('webhook helpers', () => {
  it('backs off exponentially up to the cap', () => {
    const o = resolveGatewayOptions({ webhookBackoffMs: 5000, webhookMaxBackoffMs: 60_000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoff(o, n)),
      [5000, 10_000, 20_000, 40_000, 60_000, 60_000],
    );
  });
  it('signs the raw body with HMAC-SHA256 under the AppSecret', () => {
    const body = '{"event":"authorization.revoked","store_id":1,"note":"店铺"}';
    assert.equal(
      webhookSignature('s3cret', body),
      `sha256=${createHmac('sha256', 's3cret').update(Buffer.from(body, 'utf8')).digest('hex')}`,
    );
  });
  it('names the event from the revocation reason', () => {
    const g = { grantId: 'g', appKey: 'a', sellerId: 1, storeId: 1, revokedAt: 0 };
    assert.equal(eventFor({ ...g, revokedReason: 'replaced' }), 'authorization.replaced');
    assert.equal(eventFor({ ...g, revokedReason: 'revoked_by_client' }), 'authorization.revoked');
    assert.equal(eventFor({ ...g, revokedReason: null }), 'authorization.revoked');
  });
  it('refuses upstream URLs that are not http(s)', () => {
    assert.throws(
      () => resolveGatewayOptions({ upstreams: { 'shouquan.orders.list': 'ftp://x' } }),
      /must be http or https/,
    );
    assert.throws(
      () => resolveGatewayOptions({ upstreams: { 'shouquan.orders.list': 'not a url' } }),
      /not an absolute URL/,
    );
  });
});
