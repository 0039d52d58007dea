// The developer console's message service card (issue 16 §2): subscribe to topics, send sandbox
// sample events to the developer's sandbox sellers only, see backlog, failures and last deliveries.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms, FormClient, postForm } from './helpers/browserless.js';
import { page, readonlyValue, submit } from './helpers/console.js';

describe('developer console: messages', () => {
  let s: TestServer;
  const dev = new FormClient('http://placeholder');
  const callback = 'https://isv.example.com/cb';
  let appKey = '';
  let secret = '';
  before(async () => {
    s = await startTestServer();
    (dev as { base: string }).base = s.url;
  });
  after(async () => s?.close());

  it('subscribes, sends sample events to sandbox sellers, shows the queue', async () => {
    assert.equal(
      (await submit(dev, '/console/signup', '/console/signup', { username: 'msgdev', password: 'long enough pw' }))
        .status,
      303,
    );
    const made = await submit(dev, '/console/apps/new?lang=en', '/console/apps', {
      name: 'Order Sync',
      callback_urls: callback,
      scope: 'seller',
    });
    assert.equal(made.status, 201, made.html.slice(0, 300));
    appKey = readonlyValue(made.html, 'app_key_once')!;
    secret = readonlyValue(made.html, 'app_secret_once')!;
    const sb = await submit(dev, '/console', '/console/sandbox-sellers', {});
    const username = readonlyValue(sb.html, 'sb-user')!;
    const password = readonlyValue(sb.html, 'sb-pass')!;
    const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: appKey, redirect_uri: callback, state: 'x' })}`;
    const { location } = await authorizeThroughForms(s.url, url, { username, password });
    const code = new URL(location).searchParams.get('code')!;
    assert.equal(
      (
        await postForm(`${s.url}/oauth/token`, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: callback,
          client_id: appKey,
          client_secret: secret,
        })
      ).status,
      200,
    );

    const bad = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/topics`, {
      topic: 'trade.eaten',
    });
    assert.equal(bad.status, 400);
    const saved = await submit(dev, `/console/apps/${appKey}`, `/console/apps/${appKey}/topics`, {
      topic: 'trade.paid',
    });
    assert.equal(saved.status, 303);
    const shown = await page(dev, `/console/apps/${appKey}?lang=en`);
    assert.match(shown.html, /<input type="checkbox" name="topic" value="trade.paid" checked>/);

    const sent = await submit(
      dev,
      `/console/apps/${appKey}?lang=en`,
      `/console/apps/${appKey}/sample-events`,
      {},
      { 'accept-language': 'en' },
    );
    assert.equal(sent.status, 200);
    assert.match(sent.html, /1 sample event\(s\) queued for this app\./);
    // The test server's own seller is not this developer's sandbox seller: nothing for it.
    const auth = `Basic ${Buffer.from(`${appKey}:${secret}`).toString('base64')}`;
    const res = await fetch(`${s.url}/api/v1/messages`, { headers: { authorization: auth } });
    const body = (await res.json()) as { messages: Array<{ topic: string; data: Record<string, unknown> }> };
    assert.deepEqual(
      body.messages.map((m) => [m.topic, m.data.sandbox]),
      [['trade.paid', true]],
    );

    const after = await page(dev, `/console/apps/${appKey}?lang=en`);
    assert.match(after.html, /<dt>Backlog \(not acknowledged\)<\/dt><dd>1<\/dd>/);
    assert.match(after.html, /<dt>In flight<\/dt><dd>1<\/dd>/);
    assert.match(after.html, /<caption>Last deliveries<\/caption>/);
    assert.match(after.html, /<code>trade.paid<\/code><\/td>/);
  });
});
