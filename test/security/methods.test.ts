// Issue 15, finding 1: HEAD ran a grant on meilishuo, mogujie and realshark (every method other
// than GET was treated as POST). Every route answers only the methods it registers (405 with
// `Allow` otherwise), and HEAD runs no handler with side effects anywhere.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authorizeThroughForms, readResponse } from '../helpers/browserless.js';
import { testDialects } from '../helpers/databases.js';

const OTHER_METHODS = ['HEAD', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND'];
/** GET routes that also answer HEAD: they only read. */
const HEAD_SAFE = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/assets/shouquan.css',
  '/assets/console.css',
  '/.well-known/oauth-authorization-server',
  '/openapi.json',
  '/docs',
];

async function send(url: string, method: string, init: RequestInit = {}) {
  if (method === 'TRACE') return viaHttp(url, method); // fetch refuses TRACE
  return readResponse(await fetch(url, { method, redirect: 'manual', ...init }));
}

/** A request through node:http, which sends any method. */
function viaHttp(url: string, method: string): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode!, headers, text, json: undefined });
      });
    });
    req.on('error', reject).end();
  });
}

for (const d of await testDialects()) {
  for (const profile of ['meilishuo', 'mogujie', 'realshark'] as const) {
    describe(`security: HEAD never runs a grant (${profile}, ${d.name})`, { skip: d.skip }, () => {
      let s: TestServer;
      before(async () => {
        s = await startTestServer({ profile, db: await d.fresh() });
      });
      after(async () => s?.close());

      async function tokens() {
        const q = new URLSearchParams({
          response_type: 'code',
          app_key: s.client.appKey,
          redirect_uri: s.client.callback,
          state: 'st',
        });
        const { location } = await authorizeThroughForms(s.url, `/authorize?${q}`, {
          username: s.seller.username,
          password: s.seller.password,
        });
        const code = new URL(location).searchParams.get('code')!;
        const form = new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: s.client.callback,
          app_key: s.client.appKey,
          app_secret: s.client.appSecret,
        });
        const res = await send(`${s.url}/token`, 'POST', {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        });
        assert.equal(res.status, 200, res.text);
        return res.json as { access_token: string; refresh_token: string };
      }

      it('HEAD /token with a refresh token in the query is 405 (Allow: GET, POST) and rotates nothing', async () => {
        const first = await tokens();
        const refreshQuery = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: first.refresh_token,
          app_key: s.client.appKey,
          app_secret: s.client.appSecret,
        });
        const head = await send(`${s.url}/token?${refreshQuery}`, 'HEAD');
        assert.equal(head.status, 405);
        assert.deepEqual(head.headers.get('allow')!.split(', ').sort(), ['GET', 'POST']);
        assert.equal(head.text, '');
        // The refresh token was not rotated by the HEAD: the real refresh still works, the grant lives.
        const real = await send(`${s.url}/token?${refreshQuery}`, 'POST');
        assert.equal(real.status, 200, real.text);
        assert.notEqual(real.json.refresh_token, first.refresh_token);
        const store = await fetch(`${s.url}/api/v1/store`, {
          headers: { authorization: `Bearer ${real.json.access_token}` },
        });
        assert.equal(store.status, 200);
      });

      it('HEAD /token with a code in the query is 405 and does not spend the code', async () => {
        const q = new URLSearchParams({
          response_type: 'code',
          app_key: s.client.appKey,
          redirect_uri: s.client.callback,
          state: 'st',
        });
        const { location } = await authorizeThroughForms(s.url, `/authorize?${q}`, {
          username: s.seller.username,
          password: s.seller.password,
        });
        const code = new URL(location).searchParams.get('code')!;
        const exchange = new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: s.client.callback,
          app_key: s.client.appKey,
          app_secret: s.client.appSecret,
        });
        for (const method of ['HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
          const r = await send(`${s.url}/token?${exchange}`, method);
          assert.equal(r.status, 405, `${method} ${r.text}`);
          assert.deepEqual(r.headers.get('allow')!.split(', ').sort(), ['GET', 'POST']);
        }
        const real = await send(`${s.url}/token?${exchange}`, 'GET');
        assert.equal(real.status, 200, real.text);
      });
    });
  }

  describe(`security: every route answers only its own methods (standard, ${d.name})`, { skip: d.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ db: await d.fresh() });
    });
    after(async () => s?.close());

    it('each documented path: other methods get 405 with Allow listing exactly the served ones; HEAD only on read-only GETs', async () => {
      const doc = s.server.apiReference().document as { paths: Record<string, Record<string, unknown>> };
      const paths = Object.entries(doc.paths);
      assert.ok(paths.length > 20, 'the API reference lists the routes');
      for (const [template, ops] of paths) {
        const path = template.replace(/\{[^}]+\}/g, 'x1');
        const served = Object.keys(ops).map((m) => m.toUpperCase());
        if (HEAD_SAFE.includes(template)) served.push('HEAD');
        for (const method of OTHER_METHODS.filter((m) => !served.includes(m))) {
          const r = await send(`${s.url}${path}`, method);
          assert.equal(r.status, 405, `${method} ${path}: ${r.status} ${r.text}`);
          assert.deepEqual(r.headers.get('allow')!.split(', ').sort(), [...served].sort(), `${method} ${path}`);
        }
      }
    });

    it('HEAD on a read-only GET answers like GET without a body', async () => {
      for (const path of HEAD_SAFE) {
        const r = await send(`${s.url}${path}`, 'HEAD');
        assert.equal(r.status, 200, path);
        assert.equal(r.text, '');
      }
    });

    it('HEAD on the seller login page and the authorize endpoint is 405: no session or cookie is made', async () => {
      for (const path of [
        '/account/login',
        `/oauth/authorize?response_type=code&client_id=${s.client.appKey}&redirect_uri=${encodeURIComponent(s.client.callback)}`,
        '/console/login',
        '/admin/login',
      ]) {
        const r = await send(`${s.url}${path}`, 'HEAD');
        assert.equal(r.status, 405, path);
        assert.deepEqual(r.headers.getSetCookie(), []);
      }
    });

    it('an unknown path is still 404 for any method', async () => {
      for (const method of ['GET', 'POST', 'HEAD', 'PUT'])
        assert.equal((await send(`${s.url}/no/such/path`, method)).status, 404);
    });
  });
}
