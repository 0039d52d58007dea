// Service subscriptions (issue 16 §1, docs/adr/0140): the authorize page, capped lifetimes, renewal,
// cancellation, events, the management API and the sandbox clock, black-box over HTTP.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { updateApp } from '../src/apps/apps.js';
import { createOperatorToken } from '../src/management/operator-tokens.js';
import { createSubscription } from '../src/subscriptions/subscriptions.js';
import { testDialects } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { anotherApp, authorizeUrl, exchange, token, tokensFor, codeFor, BAD_CODE } from './helpers/oauth.js';
import { FormClient, formAction, hiddenInput, postForm } from './helpers/browserless.js';
import { restCall, topCall, waitFor } from './helpers/gateway.js';
import { page, signIn, submit } from './helpers/console.js';
import { createWebAccount } from '../src/console/accounts.js';

const PURCHASE = 'https://market.example.com/apps/erp?from=shouquan';
/** A frozen start (whole seconds), so lifetimes are exact; tests move it with s.advance or /sandbox/clock. */
const T0 = Math.floor(Date.now() / 1000) * 1000;
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

async function api(s: TestServer, method: string, path: string, tokenValue: string, body?: unknown) {
  const res = await fetch(`${s.url}/admin/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokenValue}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** Sign in on a fresh browser and open the interaction page the authorize request leads to. */
async function interactionPage(s: TestServer, lang: 'en' | 'zh-CN') {
  const browser = new FormClient(s.url);
  let res = await browser.get(authorizeUrl(s));
  assert.equal(res.status, 303);
  await res.arrayBuffer();
  const interaction = res.headers.get('location') ?? '';
  res = await browser.get(interaction);
  const login = await res.text();
  res = await browser.post(formAction(login) ?? '', {
    csrf_token: hiddenInput(login, 'csrf_token') ?? '',
    username: s.seller.username,
    password: s.seller.password,
  });
  assert.equal(res.status, 303);
  await res.arrayBuffer();
  res = await browser.get(`${interaction}?lang=${lang}`);
  return { status: res.status, html: await res.text() };
}

for (const dialect of await testDialects()) {
  describe(`service subscriptions (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let op = '';
    let hookServer: Server;
    let hookUrl = '';
    const hooks: Array<Record<string, unknown>> = [];
    let subscriptionId = '';
    before(async () => {
      hookServer = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          hooks.push(JSON.parse(body));
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
      hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
      s = await startTestServer({
        db: await dialect.fresh(),
        now: () => T0,
        gateway: { webhookPollMs: 20, webhookBackoffMs: 1, webhookMaxBackoffMs: 1 },
      });
      op = (
        await createOperatorToken(s.core.storage, {
          name: 'market',
          readOnly: false,
          createdBy: 'cli',
          now: s.core.now(),
        })
      ).token;
    });
    after(async () => {
      await s?.close();
      await new Promise((r) => hookServer?.close(r));
    });

    it('the management API marks an app require_subscription with its purchase_url', async () => {
      const res = await api(s, 'PATCH', `/apps/${s.client.appKey}`, op, {
        require_subscription: true,
        purchase_url: PURCHASE,
        webhook_url: hookUrl,
      });
      assert.equal(res.status, 200);
      assert.equal(res.json.require_subscription, true);
      assert.equal(res.json.purchase_url, PURCHASE);
      const bad = await api(s, 'PATCH', `/apps/${s.client.appKey}`, op, { purchase_url: 'market' });
      assert.deepEqual(bad, {
        status: 400,
        json: { error: 'invalid_request', message: 'purchase_url "market" must be an absolute http or https URL' },
      });
    });

    it('a seller without a subscription gets a 403 page linking to the purchase URL, in both languages', async () => {
      const en = await interactionPage(s, 'en');
      assert.equal(en.status, 403);
      assert.match(en.html, /<h1>Subscription required<\/h1>/);
      assert.ok(
        en.html.includes('<strong>Test App</strong> needs a subscription, and your account has no active one.'),
        en.html,
      );
      assert.ok(
        en.html.includes(
          `<a class="primary" href="${PURCHASE.replace('&', '&amp;')}" rel="noopener noreferrer">Buy a subscription</a>`,
        ),
        en.html,
      );
      const zh = await interactionPage(s, 'zh-CN');
      assert.equal(zh.status, 403);
      assert.match(zh.html, /<h1>需要订购<\/h1>/);
      assert.ok(zh.html.includes('>去订购</a>'));
    });

    it('with a subscription, expires_in and refresh_expires_in stop at its end', async () => {
      const sub = await api(s, 'POST', '/subscriptions', op, {
        app_key: s.client.appKey,
        seller_id: String(s.seller.sellerId),
        expires_at: iso(T0 + 3_600_000),
        plan: 'basic',
      });
      assert.equal(sub.status, 201);
      subscriptionId = sub.json.subscription_id;
      assert.match(subscriptionId, /^sub_[A-Za-z0-9_-]+$/);
      assert.deepEqual(sub.json, {
        subscription_id: subscriptionId,
        app_key: s.client.appKey,
        seller_id: String(s.seller.sellerId),
        plan: 'basic',
        status: 'active',
        created_at: iso(T0),
        updated_at: iso(T0),
        expires_at: iso(T0 + 3_600_000),
        cancelled_at: null,
      });
      const again = await api(s, 'POST', '/subscriptions', op, {
        app_key: s.client.appKey,
        seller_id: String(s.seller.sellerId),
        expires_at: iso(T0 + DAY),
      });
      assert.equal(again.status, 409);
      const res = await exchange(s, await codeFor(s));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.expires_in, 3600);
      // The standard profile has no refresh lifetime field: the refresh token's own expiry says it.
      const creds = { client_id: s.client.appKey, client_secret: s.client.appSecret };
      assert.equal(
        (await postForm(`${s.url}/oauth/introspect`, { token: res.json.refresh_token, ...creds })).json.exp,
        (T0 + 3_600_000) / 1000,
      );
      // Already within 7 days of its end: subscription.expiring at once.
      const got = await waitFor(
        async () => hooks.find((h) => h.event === 'subscription.expiring'),
        'subscription.expiring',
      );
      assert.deepEqual(got, {
        event: 'subscription.expiring',
        event_id: `${subscriptionId}:subscription.expiring:${T0 + 3_600_000}`,
        app_key: s.client.appKey,
        seller_id: s.seller.sellerId,
        subscription_id: subscriptionId,
        plan: 'basic',
        expires_at: iso(T0 + 3_600_000),
        occurred_at: iso(T0),
      });
    });

    it('a renewal extends the live grant: the next refresh gets the longer lifetime', async () => {
      const t = await tokensFor(s);
      const renewed = await api(s, 'POST', `/subscriptions/${subscriptionId}/renew`, op, {
        expires_at: iso(T0 + 10 * DAY),
      });
      assert.equal(renewed.status, 200);
      assert.equal(renewed.json.expires_at, iso(T0 + 10 * DAY));
      const res = await token(s, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.expires_in, 7200);
      const creds = { client_id: s.client.appKey, client_secret: s.client.appSecret };
      assert.equal(
        (await postForm(`${s.url}/oauth/introspect`, { token: res.json.refresh_token, ...creds })).json.exp,
        (T0 + 10 * DAY) / 1000,
      );
      // No expiring event for the new end yet: it is 10 days away (7 by default).
      assert.equal(
        (await s.core.storage.gateway!.outbox.list(s.client.appKey)).filter((o) => o.event.startsWith('subscription.'))
          .length,
        1,
      );
    });

    it('subscription.expiring is sent again for the renewed end, 7 days before it', async () => {
      s.advance(3 * DAY + 1000);
      const got = await waitFor(
        async () => hooks.find((h) => h.event === 'subscription.expiring' && h.expires_at === iso(T0 + 10 * DAY)),
        'subscription.expiring',
      );
      assert.deepEqual(got, {
        event: 'subscription.expiring',
        event_id: `${subscriptionId}:subscription.expiring:${T0 + 10 * DAY}`,
        app_key: s.client.appKey,
        seller_id: s.seller.sellerId,
        subscription_id: subscriptionId,
        plan: 'basic',
        expires_at: iso(T0 + 10 * DAY),
        occurred_at: iso(T0 + 3 * DAY + 1000),
      });
    });

    it('a cancellation makes the tokens inactive at once: introspection, gateway 27, REST 401; subscription.expired follows', async () => {
      const first = await tokensFor(s);
      // One refresh: `first.refresh_token` is rotated (its grace window is open on the frozen clock).
      const t = (await token(s, { grant_type: 'refresh_token', refresh_token: first.refresh_token })).json;
      const creds = { client_id: s.client.appKey, client_secret: s.client.appSecret };
      assert.equal(
        (await postForm(`${s.url}/oauth/introspect`, { token: t.access_token, ...creds })).json.active,
        true,
      );
      const cancelled = await api(s, 'POST', `/subscriptions/${subscriptionId}/cancel`, op);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.json.status, 'cancelled');
      assert.deepEqual((await postForm(`${s.url}/oauth/introspect`, { token: t.access_token, ...creds })).json, {
        active: false,
      });
      assert.deepEqual((await postForm(`${s.url}/oauth/introspect`, { token: t.refresh_token, ...creds })).json, {
        active: false,
      });
      const top = await topCall(s, 'shouquan.store.get', {}, t.access_token);
      assert.equal(top.json.error_response.code, 27);
      assert.equal((await restCall(s, 'GET', '/api/v1/store', t.access_token)).status, 401);
      const refresh = await token(s, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.json.error, 'invalid_grant');
      // The rotated one again (a retry): refused too, without counting as reuse (the grant stays).
      const retry = await token(s, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      assert.deepEqual([retry.status, retry.json.error], [400, 'invalid_grant']);
      assert.notEqual(await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId), undefined);
      const got = await waitFor(
        async () => hooks.find((h) => h.event === 'subscription.expired'),
        'subscription.expired',
      );
      assert.equal(got.reason, 'cancelled');
      assert.equal(got.subscription_id, subscriptionId);
      // Exactly once per kind, however many rounds the dispatcher runs.
      await new Promise((r) => setTimeout(r, 100));
      const kinds = (await s.core.storage.gateway!.outbox.list(s.client.appKey))
        .map((o) => o.event)
        .filter((e) => e.startsWith('subscription.'));
      assert.deepEqual(kinds, ['subscription.expiring', 'subscription.expiring', 'subscription.expired']);
      const renew = await api(s, 'POST', `/subscriptions/${subscriptionId}/renew`, op, {
        expires_at: iso(T0 + 30 * DAY),
      });
      assert.equal(renew.status, 409);
    });

    it('lists subscriptions by app, seller and status; actions are audited', async () => {
      const list = await api(s, 'GET', `/subscriptions?app_key=${s.client.appKey}&status=ended`, op);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.json.items.map((x: { subscription_id: string }) => x.subscription_id),
        [subscriptionId],
      );
      assert.deepEqual((await api(s, 'GET', `/subscriptions?seller_id=${s.seller.sellerId}&status=active`, op)).json, {
        items: [],
        next_cursor: null,
      });
      const audit = await api(s, 'GET', '/audit?action=subscription.*', op);
      assert.deepEqual(
        audit.json.items.map((e: { action: string; actor: string }) => [e.action, e.actor]),
        [
          ['subscription.cancelled', 'token:market'],
          ['subscription.renewed', 'token:market'],
          ['subscription.created', 'token:market'],
        ],
      );
    });

    it('a seller with two apps: the paid one without a subscription refuses, the free one works as before', async () => {
      const free = await anotherApp(s);
      const t = await exchange(s, await codeFor(s, {}, free), {}, free);
      assert.equal(t.status, 200, t.text);
      assert.equal(t.json.expires_in, 7200);
      const paid = await interactionPage(s, 'en');
      assert.equal(paid.status, 403);
    });

    it('the code exchange checks the subscription again', async () => {
      await createSubscription(
        s.core.storage,
        { appKey: s.client.appKey, sellerId: String(s.seller.sellerId), expiresAt: iso(s.core.now() + DAY) },
        'cli',
        s.core.now(),
      );
      const code = await codeFor(s);
      const [sub] = await s.core.storage.subscriptions.list({
        appKey: s.client.appKey,
        status: 'active',
        now: s.core.now(),
        limit: 1,
      });
      await s.core.storage.subscriptions.cancel(sub!.subscriptionId, s.core.now(), {
        at: s.core.now(),
        event: 'subscription.cancelled',
        actor: 'cli',
        appKey: s.client.appKey,
        sellerId: s.seller.sellerId,
        subject: sub!.subscriptionId,
        detail: null,
      });
      const res = await exchange(s, code);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, BAD_CODE);
    });
  });
}

describe('sandbox clock', () => {
  it('is 404 without --sandbox', async () => {
    const s = await startTestServer({ server: { sandbox: false } });
    try {
      const res = await fetch(`${s.url}/sandbox/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: 60 }),
      });
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { error: 'not_found', error_description: 'no route for POST /sandbox/clock' });
    } finally {
      await s.close();
    }
  });

  it('moves every expiry forward with --sandbox: a code dies, then a subscription ends', async () => {
    const s = await startTestServer({ now: () => T0 });
    try {
      const code = await codeFor(s);
      const moved = await fetch(`${s.url}/sandbox/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: 601 }),
      });
      assert.equal(moved.status, 200);
      assert.deepEqual(await moved.json(), { now: iso(T0 + 601_000), offset_seconds: 601 });
      assert.deepEqual((await exchange(s, code)).json, BAD_CODE);
      const bad = await fetch(`${s.url}/sandbox/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: -5 }),
      });
      assert.equal(bad.status, 400);
      // A paid app: the subscription ends an hour from now; the clock moves past it; the token is dead.
      await updateApp(s.core.storage, s.client.appKey, { requireSubscription: true }, s.core.now());
      await createSubscription(
        s.core.storage,
        { appKey: s.client.appKey, sellerId: String(s.seller.sellerId), expiresAt: iso(s.core.now() + 3_600_000) },
        'cli',
        s.core.now(),
      );
      const t = await tokensFor(s);
      const creds = { client_id: s.client.appKey, client_secret: s.client.appSecret };
      assert.equal(
        (await postForm(`${s.url}/oauth/introspect`, { token: t.access_token, ...creds })).json.active,
        true,
      );
      await fetch(`${s.url}/sandbox/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: 3600 }),
      });
      assert.deepEqual((await postForm(`${s.url}/oauth/introspect`, { token: t.access_token, ...creds })).json, {
        active: false,
      });
      assert.deepEqual(await (await fetch(`${s.url}/sandbox/clock`)).json(), {
        now: iso(T0 + 4201_000),
        offset_seconds: 4201,
      });
    } finally {
      await s.close();
    }
  });
});

describe('subscriptions in /admin and the seller center', () => {
  let s: TestServer;
  let op: FormClient;
  before(async () => {
    s = await startTestServer({ now: () => T0 });
    await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
    op = new FormClient(s.url);
    await signIn(op, 'admin', 'ops', 'operator password');
  });
  after(async () => s?.close());

  it('an operator marks an app, records, renews and cancels a subscription; the seller center shows the end', async () => {
    let res = await submit(op, '/admin/subscriptions', `/admin/apps/${s.client.appKey}/subscription`, {
      require_subscription: '1',
      purchase_url: PURCHASE,
    });
    assert.deepEqual([res.status, res.location], [303, '/admin/subscriptions?done=app']);
    assert.deepEqual(
      [
        (await s.core.storage.apps.find(s.client.appKey))?.requireSubscription,
        (await s.core.storage.apps.find(s.client.appKey))?.purchaseUrl,
      ],
      [true, PURCHASE],
    );
    res = await submit(op, '/admin/subscriptions', '/admin/subscriptions', {
      app_key: s.client.appKey,
      seller_id: String(s.seller.sellerId),
      expires_at: '2000-01-01T00:00:00Z',
    });
    assert.equal(res.status, 400);
    assert.ok(
      res.html.includes('expires_at 2000-01-01T00:00:00Z is not in the future (to end a subscription now, cancel it)'),
    );
    res = await submit(op, '/admin/subscriptions', '/admin/subscriptions', {
      app_key: s.client.appKey,
      seller_id: String(s.seller.sellerId),
      expires_at: iso(T0 + 30 * DAY),
      plan: 'pro',
    });
    assert.deepEqual([res.status, res.location], [303, `/admin/subscriptions?done=created&app_key=${s.client.appKey}`]);
    const [sub] = await s.core.storage.subscriptions.list({ appKey: s.client.appKey, now: s.core.now(), limit: 5 });
    const list = await page(op, `/admin/subscriptions?lang=en&app_key=${s.client.appKey}`);
    assert.ok(
      list.html.includes(
        `<td><code>${sub!.subscriptionId}</code></td><td><code>${s.client.appKey}</code></td><td>${s.seller.sellerId}</td><td>pro</td><td>active</td>`,
      ),
      list.html,
    );

    // The seller authorizes; the seller center says when the authorization ends.
    await tokensFor(s);
    const seller = new FormClient(s.url);
    await signIn(seller, 'account', s.seller.username, s.seller.password);
    const center = await page(seller, '/account?lang=en');
    assert.match(center.html, /<dt>Authorization ends<\/dt><dd>[^<]+<\/dd>/);

    res = await submit(op, '/admin/subscriptions', `/admin/subscriptions/${sub!.subscriptionId}/renew`, {
      expires_at: iso(T0 + 60 * DAY),
    });
    assert.equal(res.status, 303);
    assert.equal((await s.core.storage.subscriptions.find(sub!.subscriptionId))?.expiresAt, T0 + 60 * DAY);
    res = await submit(op, '/admin/subscriptions', `/admin/subscriptions/${sub!.subscriptionId}/cancel`, {});
    assert.deepEqual(
      [res.status, res.location],
      [303, `/admin/subscriptions?done=cancelled&app_key=${s.client.appKey}`],
    );
    const after = await page(seller, '/account?lang=en');
    assert.ok(after.html.includes('<dt>Authorization ends</dt><dd>ended: no active subscription</dd>'), after.html);
    // The app's developer sees that it is sold by subscription, with the purchase link.
    const dev = await createWebAccount(s.core.storage, {
      realm: 'developer',
      username: 'isv',
      password: 'developer password',
    });
    await updateApp(s.core.storage, s.client.appKey, { developerId: dev.accountId }, s.core.now());
    const isv = new FormClient(s.url);
    await signIn(isv, 'console', 'isv', 'developer password');
    const appPage = await page(isv, `/console/apps/${s.client.appKey}?lang=en`);
    assert.ok(
      appPage.html.includes(
        `<dt>Sold by subscription</dt><dd>sellers need an active subscription; tokens end with it (<a href="${PURCHASE.replace('&', '&amp;')}" rel="noopener noreferrer">where sellers buy it</a>)</dd>`,
      ),
      appPage.html,
    );
    const audit = await s.core.storage.management.audit({ action: 'subscription.*', limit: 10 });
    assert.deepEqual(
      audit.map((e) => [e.event, e.actor]),
      [
        ['subscription.cancelled', 'operator:ops'],
        ['subscription.renewed', 'operator:ops'],
        ['subscription.created', 'operator:ops'],
      ],
    );
  });
});
