import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseWebhook, verifyWebhookSignature, WebhookSignatureError } from './webhook.js';

const secret = 'app-secret-0123456789';
const body = JSON.stringify({
  event: 'authorization.revoked',
  event_id: '42:authorization.revoked',
  app_key: '10000001',
  seller_id: 7,
  store_id: 9,
  reason: 'revoked_by_seller',
  note: '店铺',
});
// Independent of webhook.ts: what the gateway sends.
const header = `sha256=${createHmac('sha256', secret).update(Buffer.from(body, 'utf8')).digest('hex')}`;

describe('webhook signature verification', () => {
  it('accepts the HMAC-SHA256 of the raw body, as string or bytes', () => {
    assert.equal(verifyWebhookSignature(secret, body, header), true);
    assert.equal(verifyWebhookSignature(secret, Buffer.from(body, 'utf8'), header), true);
    assert.equal(verifyWebhookSignature(secret, body, header.toUpperCase().replace('SHA256=', 'sha256=')), true);
  });

  it('refuses a changed body, another secret, a missing or malformed header', () => {
    assert.equal(verifyWebhookSignature(secret, body.replace('"store_id":9', '"store_id":8'), header), false);
    assert.equal(verifyWebhookSignature('other-secret', body, header), false);
    assert.equal(verifyWebhookSignature(secret, body, undefined), false);
    assert.equal(verifyWebhookSignature(secret, body, header.slice('sha256='.length)), false);
    assert.equal(verifyWebhookSignature(secret, body, 'sha256=zz'), false);
  });

  it('parses a verified webhook and explains a refused one', () => {
    const event = parseWebhook(secret, body, {
      'X-Shouquan-Signature': header,
      'x-shouquan-event': 'authorization.revoked',
    });
    assert.deepEqual(event, JSON.parse(body));
    assert.deepEqual(parseWebhook(secret, body, new Headers({ 'x-shouquan-signature': header })), JSON.parse(body));
    assert.throws(
      () => parseWebhook(secret, body, {}),
      (e: unknown) => e instanceof WebhookSignatureError && /has no x-shouquan-signature header/.test(e.message),
    );
    assert.throws(() => parseWebhook('wrong', body, { 'x-shouquan-signature': header }), /does not match the body/);
  });
});

describe('webhook verification of a pushed message (message service)', () => {
  it('verifies and parses a message push, data included', () => {
    const pushed =
      '{"event":"trade.paid","event_id":"41","app_key":"10000001","seller_id":1,"store_id":1,"occurred_at":"2026-12-07T15:02:25.253Z","data":{"order_id":1001,"total_fee":"199.00"}}';
    const sig = `sha256=${createHmac('sha256', secret).update(Buffer.from(pushed, 'utf8')).digest('hex')}`;
    const event = parseWebhook(secret, pushed, { 'x-shouquan-signature': sig, 'x-shouquan-event': 'trade.paid' });
    assert.equal(event.event, 'trade.paid');
    assert.deepEqual(event.data, { order_id: 1001, total_fee: '199.00' });
    assert.throws(
      () => parseWebhook(secret, pushed.replace('1001', '1002'), { 'x-shouquan-signature': sig }),
      WebhookSignatureError,
    );
  });
});
