import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ShouquanClient } from './client.js';
import { dialects } from './dialects.js';
import { ApiError, NotAuthorizedError, OAuthError, ShouquanError } from './errors.js';
import { MemoryTokenStore } from './token-store.js';

// ---- An independent implementation of the router's checks (not the SDK's sign.ts) ----

function independentSign(params: Record<string, string>, secret: string): string {
  const names = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); // ASCII names: code-unit order = byte order
  const text = names.map((k) => `${k}${params[k]}`).join('');
  switch (params.sign_method) {
    case 'md5':
      return createHash('md5').update(`${secret}${text}${secret}`, 'utf8').digest('hex').toUpperCase();
    case 'hmac':
      return createHmac('md5', secret).update(text, 'utf8').digest('hex').toUpperCase();
    case 'hmac-sha256':
      return createHmac('sha256', secret).update(text, 'utf8').digest('hex').toUpperCase();
    default:
      throw new Error(`bad sign_method ${params.sign_method}`);
  }
}

/** GMT+8 "yyyy-MM-dd HH:mm:ss" → epoch ms. */
function parseGmt8(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - 8 * 3600_000;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

interface FakeRouter {
  url: string;
  calls: Array<Record<string, string>>;
  tokenRequests: Array<{ method: string; params: Record<string, string> }>;
  close(): Promise<void>;
}

type Handler = (
  params: Record<string, string>,
  kind: 'router' | 'token',
  httpMethod: string,
) => Promise<{ status?: number; body: unknown }> | { status?: number; body: unknown };

/** A tiny platform: `/router/rest` verifying TOP signatures, and a token endpoint, answering through `handler`. */
async function fakePlatform(
  secret: string,
  appKey: string,
  handler: Handler,
  tokenPath = '/oauth/token',
): Promise<FakeRouter> {
  const calls: Array<Record<string, string>> = [];
  const tokenRequests: FakeRouter['tokenRequests'] = [];
  let n = 0;
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const params = Object.fromEntries(
      req.method === 'GET' ? url.searchParams : new URLSearchParams(await readBody(req)),
    );
    const requestId = `req-${++n}`;
    if (url.pathname === tokenPath) {
      tokenRequests.push({ method: req.method ?? '', params });
      const out = await handler(params, 'token', req.method ?? '');
      return send(res, out.status ?? 200, out.body, { 'x-request-id': requestId });
    }
    if (url.pathname !== '/router/rest') return send(res, 404, { error: 'not_found' });
    calls.push(params);
    const fail = (code: number, msg: string, sub_code: string, sub_msg: string) =>
      send(res, 200, { error_response: { code, msg, sub_code, sub_msg, request_id: requestId } });
    if (params.app_key !== appKey) return fail(29, 'Invalid App Key', 'isv.appkey-not-exists', 'unknown app_key');
    if (params.v !== '2.0' || params.format !== 'json')
      return fail(41, 'Invalid Arguments', 'isv.invalid-parameter:v', 'v must be 2.0');
    const ts = parseGmt8(params.timestamp ?? '');
    if (!(Math.abs(ts - Date.now()) <= 10 * 60_000))
      return fail(31, 'Invalid Timestamp', 'isv.invalid-timestamp', `timestamp ${params.timestamp} is off`);
    if (params.sign !== independentSign(params, secret))
      return fail(25, 'Invalid Signature', 'isv.invalid-signature', 'signature mismatch');
    const out = await handler(params, 'router', req.method ?? '');
    return send(res, out.status ?? 200, out.body, { 'x-request-id': requestId });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    tokenRequests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const secret = 'sec-' + randomBytes(8).toString('hex');
const appKey = '10000001';

describe('call(): signed router calls against a fake router', () => {
  let p: FakeRouter;
  before(async () => {
    p = await fakePlatform(secret, appKey, (params) => {
      if (params.method === 'shouquan.store.get')
        return {
          body: { shouquan_store_get_response: { store: { store_id: 9, name: '小店' }, echo: params.title ?? null } },
        };
      if (params.method === 'shouquan.orders.list')
        return {
          body: {
            error_response: {
              code: 27,
              msg: 'Invalid session',
              sub_code: 'invalid-sessionkey',
              sub_msg: 'the session is expired',
              request_id: 'r-27',
            },
          },
        };
      return {
        body: {
          error_response: {
            code: 22,
            msg: 'Invalid Method',
            sub_code: 'isv.invalid-method',
            sub_msg: params.method,
            request_id: 'r-22',
          },
        },
      };
    });
  });
  after(() => p.close());

  for (const signMethod of ['md5', 'hmac', 'hmac-sha256'] as const) {
    it(`signs with ${signMethod} (POST, UTF-8 values) and returns the inside of <method>_response`, async () => {
      const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, signMethod });
      const out = await c.call('store.get', { title: '羊毛围巾 红色', page_size: 20, empty: '' }, { session: 'tok-1' });
      assert.deepEqual(out, { store: { store_id: 9, name: '小店' }, echo: '羊毛围巾 红色' });
      const sent = p.calls.at(-1)!;
      assert.equal(sent.method, 'shouquan.store.get');
      assert.equal(sent.session, 'tok-1');
      assert.equal(sent.sign_method, signMethod);
      assert.equal(sent.page_size, '20');
      assert.equal('empty' in sent, false);
    });
  }

  it('signs GET calls too', async () => {
    const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret });
    const out = await c.call('shouquan.store.get', {}, { session: 'tok-1', httpMethod: 'GET' });
    assert.deepEqual(out, { store: { store_id: 9, name: '小店' }, echo: null });
  });

  it('the fake router does refuse a wrong signature (the check can fail)', async () => {
    const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: 'not-the-secret' });
    await assert.rejects(
      c.call('store.get', {}, { session: 't' }),
      (e: unknown) => e instanceof ApiError && e.code === 25 && e.subCode === 'isv.invalid-signature',
    );
  });

  it('turns error_response into an ApiError with code, sub_code and request_id', async () => {
    const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret });
    await assert.rejects(c.call('orders.list', { status: 'paid' }, { session: 't' }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.kind, 'api');
      assert.equal(e.code, 27);
      assert.equal(e.msg, 'Invalid session');
      assert.equal(e.subCode, 'invalid-sessionkey');
      assert.equal(e.subMsg, 'the session is expired');
      assert.equal(e.requestId, 'r-27');
      assert.equal(
        e.message,
        'shouquan.orders.list failed: 27 / Invalid session / invalid-sessionkey / the session is expired',
      );
      return true;
    });
  });

  it('uses the stored, refreshed-if-needed access token as session', async () => {
    const store = new MemoryTokenStore();
    await store.set('seller-1', {
      accessToken: 'stored-at',
      tokenType: 'bearer',
      expiresAt: Date.now() + 3600_000,
      raw: {},
    });
    const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, tokenStore: store });
    await c.call('store.get', {}, { key: 'seller-1' });
    assert.equal(p.calls.at(-1)!.session, 'stored-at');
    await assert.rejects(
      c.call('store.get', {}, { key: 'nobody' }),
      (e: unknown) => e instanceof NotAuthorizedError && /no tokens stored for "nobody"/.test(e.message),
    );
  });

  it('keeps full method names and prefixes relative ones with the dialect prefix', () => {
    const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, profile: 'smallec' });
    assert.equal(c.methodName('store.get'), 'psdm.store.get');
    assert.equal(c.methodName('psdm.orders.list'), 'psdm.orders.list');
    assert.equal(c.methodName('taobao.item.seller.get'), 'taobao.item.seller.get');
  });
});

describe('refresh(): single-flight and the lost race', () => {
  it('20 concurrent callers with a stale token cause exactly one refresh', async () => {
    let issued = 0;
    let live = 'rt-0';
    const p = await fakePlatform(secret, appKey, async (params) => {
      if (params.refresh_token !== live)
        return {
          status: 400,
          body: { error: 'invalid_grant', error_description: 'the refresh token is invalid or expired' },
        };
      issued++;
      live = `rt-${issued}`;
      await new Promise((r) => setImmediate(r));
      return {
        body: {
          access_token: `at-${issued}`,
          token_type: 'bearer',
          expires_in: 7200,
          refresh_token: live,
          scope: 'seller',
        },
      };
    });
    try {
      const store = new MemoryTokenStore();
      await store.set('k', {
        accessToken: 'at-0',
        tokenType: 'bearer',
        refreshToken: 'rt-0',
        expiresAt: Date.now() + 10_000,
        raw: {},
      });
      const c = new ShouquanClient({
        baseUrl: p.url,
        appKey,
        appSecret: secret,
        tokenStore: store,
        refreshSkewMs: 60_000,
      });
      const tokens = await Promise.all(Array.from({ length: 20 }, () => c.getAccessToken('k')));
      assert.deepEqual(new Set(tokens), new Set(['at-1']));
      assert.equal(issued, 1);
      assert.equal(p.tokenRequests.length, 1);
      const stored = (await store.get('k'))!;
      assert.equal(stored.refreshToken, 'rt-1');
      // Fresh now: no further refresh.
      assert.equal(await c.getAccessToken('k'), 'at-1');
      assert.equal(issued, 1);
    } finally {
      await p.close();
    }
  });

  it("a refresh that lost a race to another process re-reads the store and uses the winner's tokens", async () => {
    const store = new MemoryTokenStore();
    let issued = 0;
    let live = 'rt-0';
    const p = await fakePlatform(secret, appKey, async (params) => {
      if (params.refresh_token === live) {
        issued++;
        live = `rt-${issued}`;
        return { body: { access_token: `at-${issued}`, token_type: 'bearer', expires_in: 7200, refresh_token: live } };
      }
      // The loser's answer leaves only after the winner stored its tokens: the race, made deterministic.
      while ((await store.get('k'))?.refreshToken !== live) await new Promise((r) => setImmediate(r));
      return {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'the refresh token is invalid or expired' },
      };
    });
    try {
      await store.set('k', {
        accessToken: 'at-0',
        tokenType: 'bearer',
        refreshToken: 'rt-0',
        expiresAt: Date.now() - 1,
        raw: {},
      });
      // Two instances = two processes: no shared single-flight, one shared store.
      const a = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, tokenStore: store });
      const b = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, tokenStore: store });
      const [ta, tb] = await Promise.all([a.refresh('k'), b.refresh('k')]);
      assert.equal(issued, 1);
      assert.equal(p.tokenRequests.length, 2);
      assert.equal(ta.accessToken, 'at-1');
      assert.equal(tb.accessToken, 'at-1');
      assert.equal((await store.get('k'))!.refreshToken, 'rt-1');
    } finally {
      await p.close();
    }
  });

  it('a dead refresh token with nothing newer in the store surfaces invalid_grant with the request id', async () => {
    const p = await fakePlatform(secret, appKey, () => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the refresh token is invalid or expired' },
    }));
    try {
      const store = new MemoryTokenStore();
      await store.set('k', { accessToken: 'at-0', tokenType: 'bearer', refreshToken: 'rt-0', raw: {} });
      const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, tokenStore: store });
      await assert.rejects(c.refresh('k'), (e: unknown) => {
        assert.ok(e instanceof OAuthError);
        assert.equal(e.error, 'invalid_grant');
        assert.equal(e.errorDescription, 'the refresh token is invalid or expired');
        assert.equal(e.status, 400);
        assert.equal(e.requestId, 'req-1');
        assert.equal(e.message, 'invalid_grant: the refresh token is invalid or expired (request id req-1)');
        return true;
      });
      assert.equal(p.tokenRequests.length, 1, 'retried only when the store changed');
    } finally {
      await p.close();
    }
  });

  it('calls the lock of a cross-process token store around each refresh', async () => {
    const p = await fakePlatform(secret, appKey, () => ({
      body: { access_token: 'at-1', token_type: 'bearer', expires_in: 60, refresh_token: 'rt-1' },
    }));
    try {
      const locked: string[] = [];
      const inner = new MemoryTokenStore();
      const store = Object.assign(inner, {
        async lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
          locked.push(key);
          return fn();
        },
      });
      await store.set('k', { accessToken: 'at-0', tokenType: 'bearer', refreshToken: 'rt-0', raw: {} });
      const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, tokenStore: store });
      await c.refresh('k');
      assert.deepEqual(locked, ['k']);
    } finally {
      await p.close();
    }
  });

  it('smallec refreshes through the signed psdm.auth.token.refresh method', async () => {
    const p = await fakePlatform(secret, appKey, (params, kind) => {
      assert.equal(kind, 'router');
      assert.equal(params.method, 'psdm.auth.token.refresh');
      assert.equal(params.refresh_token, 'rt-0');
      assert.equal('session' in params, false);
      return {
        body: {
          psdm_auth_token_refresh_response: {
            token_type: 'Bearer',
            expires_in: 31536000,
            access_token: 'at-1',
            refresh_token: 'rt-1',
            re_expires_in: 31536000,
            psdm_user_id: 10000,
          },
        },
      };
    });
    try {
      const store = new MemoryTokenStore();
      await store.set('k', { accessToken: 'at-0', tokenType: 'Bearer', refreshToken: 'rt-0', raw: {} });
      const now = Date.UTC(2026, 0, 1);
      const c = new ShouquanClient({
        baseUrl: p.url,
        appKey,
        appSecret: secret,
        tokenStore: store,
        profile: 'smallec',
        now: () => Date.now(),
      });
      const t = await c.refresh('k');
      assert.equal(t.accessToken, 'at-1');
      assert.equal(t.refreshToken, 'rt-1');
      assert.equal(t.sellerId, '10000');
      assert.ok(t.expiresAt! - Date.now() > 31535000_000 && t.refreshExpiresAt! > now);
      assert.equal(p.tokenRequests.length, 0);
    } finally {
      await p.close();
    }
  });

  it('perfee keeps the old refresh token when the refresh answer has none', async () => {
    const p = await fakePlatform(
      secret,
      appKey,
      (params) => {
        assert.equal(params.client_id, appKey);
        return { body: { token_type: 'bearer', access_token: 'at-1', expires_in: 7200 } };
      },
      '/v2/oauth/token',
    );
    try {
      const store = new MemoryTokenStore();
      await store.set('k', {
        accessToken: 'at-0',
        tokenType: 'bearer',
        refreshToken: 'rt-0',
        refreshExpiresAt: 123,
        raw: {},
      });
      const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, tokenStore: store, profile: 'perfee' });
      const t = await c.refresh('k');
      assert.equal(t.refreshToken, 'rt-0');
      assert.equal(t.refreshExpiresAt, 123);
    } finally {
      await p.close();
    }
  });
});

describe('dialects: authorize URLs and code exchange', () => {
  const base = 'https://auth.example.com';
  const redirectUri = 'https://isv.example.com/cb';

  it('standard: client_id, state, PKCE S256', () => {
    const c = new ShouquanClient({ baseUrl: base, appKey, appSecret: secret, redirectUri });
    const r = c.authorizeUrl();
    const u = new URL(r.url);
    assert.equal(`${u.origin}${u.pathname}`, `${base}/oauth/authorize`);
    assert.deepEqual(
      [...u.searchParams.keys()],
      ['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method'],
    );
    assert.equal(u.searchParams.get('state'), r.state);
    assert.equal(
      u.searchParams.get('code_challenge'),
      createHash('sha256').update(r.codeVerifier!).digest('base64url'),
    );
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.notEqual(c.authorizeUrl().state, r.state);
  });

  it('each platform gets its own path and parameter names', () => {
    const expected: Record<string, string> = {
      perfee: `${base}/v2/oauth/authorize?response_type=code&client_id=${appKey}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1&scope=seller`,
      meilishuo: `${base}/authorize?response_type=code&app_key=${appKey}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1`,
      mogujie: `${base}/authorize?response_type=code&app_key=${appKey}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1`,
      realshark: `${base}/authorize?response_type=code&app_key=${appKey}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1`,
      smallec: `${base}/oauth/authorize?response_type=code&client_id=${appKey}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1&view=wap`,
    };
    for (const [name, url] of Object.entries(expected)) {
      const c = new ShouquanClient({ baseUrl: base, appKey, appSecret: secret, profile: name, redirectUri });
      assert.equal(
        c.authorizeUrl({ state: 's1', ...(name === 'smallec' ? { extra: { view: 'wap' } } : {}) }).url,
        url,
        name,
      );
    }
    assert.deepEqual(Object.keys(dialects).sort(), [
      'meilishuo',
      'mogujie',
      'perfee',
      'realshark',
      'smallec',
      'standard',
    ]);
  });

  it('explains what is missing', () => {
    const c = new ShouquanClient({ baseUrl: base, appKey, appSecret: secret, profile: 'smallec' });
    assert.throws(() => c.authorizeUrl(), /the smallec profile requires redirect_uri/);
    assert.throws(
      () => new ShouquanClient({ baseUrl: base, appKey, appSecret: secret, profile: 'taobao' }),
      /unknown profile "taobao": use one of standard, perfee/,
    );
    assert.throws(
      () => new ShouquanClient({ baseUrl: base, appKey, appSecret: '' }),
      /appKey and appSecret are required/,
    );
  });

  it('meilishuo exchanges the code by POST (never the secret in a URL) with app_key/app_secret and reads access_expires_in; statusCode ≠ 0000000 is an error', async () => {
    let fail = false;
    const p = await fakePlatform(
      secret,
      appKey,
      () =>
        fail
          ? {
              status: 400,
              body: {
                error: 'invalid_grant',
                error_description: 'the authorization code is invalid or expired',
                statusCode: '1000002',
              },
            }
          : {
              body: {
                statusCode: '0000000',
                access_token: 'at',
                access_expires_in: 604800,
                refresh_token: 'rt',
                refresh_expires_in: 1209600,
              },
            },
      '/token',
    );
    try {
      const t0 = Date.now();
      const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, profile: 'meilishuo', redirectUri });
      const t = await c.exchangeCode({ code: 'c1', key: 'seller' });
      assert.deepEqual(p.tokenRequests[0], {
        method: 'POST',
        params: {
          grant_type: 'authorization_code',
          code: 'c1',
          app_key: appKey,
          app_secret: secret,
          redirect_uri: redirectUri,
        },
      });
      assert.equal(t.accessToken, 'at');
      assert.ok(t.expiresAt! >= t0 + 604800_000 && t.refreshExpiresAt! >= t0 + 1209600_000);
      assert.deepEqual(await c.tokenStore.get('seller'), t);
      fail = true;
      await assert.rejects(
        c.exchangeCode({ code: 'c1' }),
        (e: unknown) =>
          e instanceof OAuthError &&
          e.error === 'invalid_grant' &&
          (e.body as { statusCode?: unknown }).statusCode === '1000002',
      );
    } finally {
      await p.close();
    }
  });

  it('handleCallback checks state, iss and error before exchanging', async () => {
    const c = new ShouquanClient({ baseUrl: base, appKey, appSecret: secret, redirectUri });
    await assert.rejects(
      c.handleCallback(`${redirectUri}?code=x&state=other`, { state: 's1' }),
      /state does not match/,
    );
    await assert.rejects(
      c.handleCallback(`${redirectUri}?error=access_denied&error_description=the+seller+declined&state=s1`, {
        state: 's1',
      }),
      (e: unknown) =>
        e instanceof OAuthError && e.error === 'access_denied' && e.errorDescription === 'the seller declined',
    );
    await assert.rejects(
      c.handleCallback(`${redirectUri}?code=x&state=s1&iss=https%3A%2F%2Fevil.example`, { state: 's1' }),
      /the callback comes from issuer https:\/\/evil\.example, not https:\/\/auth\.example\.com/,
    );
    const behindProxy = new ShouquanClient({
      baseUrl: 'http://10.0.0.5:7070',
      issuer: 'https://auth.example.com',
      appKey,
      appSecret: secret,
      redirectUri,
    });
    await assert.rejects(
      behindProxy.handleCallback(`${redirectUri}?code=x&state=s1&iss=http%3A%2F%2F10.0.0.5%3A7070`, { state: 's1' }),
      /not https:\/\/auth\.example\.com/,
    );
  });

  it('handleCallback takes a path (req.url) resolved against redirectUri, or says what to pass', async () => {
    const p = await fakePlatform(secret, appKey, () => ({
      body: {
        access_token: 'at',
        token_type: 'bearer',
        expires_in: 7200,
        refresh_token: 'rt',
        scope: 'seller',
        seller_id: 7,
        store_id: 12,
      },
    }));
    try {
      const c = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret, redirectUri });
      const t = await c.handleCallback('/callback?code=c1&state=s1', { state: 's1', key: 'pending' });
      assert.deepEqual(p.tokenRequests[0]?.params, {
        grant_type: 'authorization_code',
        code: 'c1',
        client_id: appKey,
        client_secret: secret,
        redirect_uri: redirectUri,
      });
      // The seller and store the token answer names (standard profile), to key the stored tokens by.
      assert.equal(t.sellerId, '7');
      assert.equal(t.storeId, '12');
      assert.deepEqual(await c.tokenStore.get('pending'), t);
      // A path without a configured redirectUri: a message that says what to pass, without the code.
      const bare = new ShouquanClient({ baseUrl: p.url, appKey, appSecret: secret });
      await assert.rejects(
        bare.handleCallback('/callback?code=SECRET-CODE&state=s1', { state: 's1' }),
        (e: unknown) =>
          e instanceof ShouquanError &&
          e.kind === 'client' &&
          e.message ===
            'handleCallback() got "/callback", which is not an absolute URL: pass the full callback URL (e.g. https://isv.example.com/callback?code=…&state=…), or set redirectUri (on the client or in this call) so that a path such as req.url is resolved against it',
      );
      // The redirectUri of the call works as the base too.
      await bare.handleCallback('/callback?code=c2&state=s2', { state: 's2', redirectUri });
      assert.equal(p.tokenRequests[1]?.params.redirect_uri, redirectUri);
      await assert.rejects(
        bare.handleCallback('/callback?code=c3&state=s3', { state: 's3', redirectUri: '/callback' }),
        /the redirectUri "\/callback" is not an absolute URL/,
      );
    } finally {
      await p.close();
    }
  });

  it('reports an unreachable server clearly', async () => {
    const closed = await fakePlatform(secret, appKey, () => ({ body: {} }));
    await closed.close();
    const c = new ShouquanClient({ baseUrl: closed.url, appKey, appSecret: secret });
    await assert.rejects(
      c.exchangeCode({ code: 'x' }),
      (e: unknown) =>
        e instanceof ShouquanError &&
        e.kind === 'network' &&
        e.message === `cannot reach ${closed.url}/oauth/token: ECONNREFUSED`,
    );
  });
});
