// @shouquan/sdk's message consumer against a real server: the pull loop acknowledges what its
// handler took, and a message whose handler threw comes back after the visibility timeout.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { updateApp } from '../../../src/apps/apps.js';
import { MessageService } from '../../../src/messages/service.js';
import { startTestServer, type TestServer } from '../../../test/helpers/server.js';
import { authorizeThroughForms, postForm } from '../../../test/helpers/browserless.js';
import { ApiError, MessageConsumer, type Message } from '../src/index.js';

describe('SDK message consumer', () => {
  let s: TestServer;
  let svc: MessageService;
  before(async () => {
    s = await startTestServer({ gateway: { webhookPollMs: 0, messagePollMs: 50 } });
    await updateApp(s.core.storage, s.client.appKey, { topics: ['trade.paid'] }, s.core.now());
    const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'x' })}`;
    const { location } = await authorizeThroughForms(s.url, url, {
      username: s.seller.username,
      password: s.seller.password,
      storeId: s.seller.stores[0]!.storeId,
    });
    const code = new URL(location).searchParams.get('code')!;
    await postForm(`${s.url}/oauth/token`, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: s.client.callback,
      client_id: s.client.appKey,
      client_secret: s.client.appSecret,
    });
    svc = new MessageService(s.core);
  });
  after(async () => s?.close());

  const publish = (orderId: number) =>
    svc.publish([
      {
        topic: 'trade.paid',
        seller_id: s.seller.sellerId,
        store_id: s.seller.stores[0]!.storeId,
        data: { order_id: orderId },
      },
    ]);

  it('runs the pull loop: handler, then acknowledgement; a failed message comes back', async () => {
    const consumer = new MessageConsumer({
      baseUrl: s.url,
      appKey: s.client.appKey,
      appSecret: s.client.appSecret,
      wait: 1,
    });
    for (const id of [1, 2, 3]) await publish(id);
    const seen: Message[] = [];
    const stop = new AbortController();
    const errors: unknown[] = [];
    await consumer.run(
      (m) => {
        seen.push(m);
        if (m.data.order_id === 2) throw new Error('not now');
        if (seen.length === 3) stop.abort();
      },
      { signal: stop.signal, onError: (e) => errors.push(e) },
    );
    assert.deepEqual(
      seen.map((m) => m.data.order_id),
      [1, 2, 3],
    );
    assert.deepEqual(Object.keys(seen[0]!), ['id', 'topic', 'seller_id', 'store_id', 'created_at', 'data']);
    assert.equal(errors.length, 1);
    // 1 and 3 were acknowledged; 2 comes back once the visibility timeout has passed.
    assert.deepEqual(await consumer.pull({ wait: 0 }), []);
    s.advance(61_000);
    const again = await consumer.pull({ wait: 0 });
    assert.deepEqual(
      again.map((m) => m.data.order_id),
      [2],
    );
    assert.equal(await consumer.ack(again.map((m) => m.id)), 1);
  });

  it('reports a wrong secret as an ApiError with the server’s words', async () => {
    const bad = new MessageConsumer({ baseUrl: s.url, appKey: s.client.appKey, appSecret: 'wrong', wait: 0 });
    await assert.rejects(
      bad.pull(),
      (e: unknown) => e instanceof ApiError && e.status === 401 && e.error === 'invalid_client',
    );
  });
});
