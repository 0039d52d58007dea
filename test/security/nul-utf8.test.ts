// Issue 15, finding 4: NUL bytes gave 500 on PostgreSQL (`GET /console/apps/%00`,
// `GET /admin?seller=%00` and more). A NUL byte or invalid UTF-8 in any parameter (path, query,
// form body, our cookies) is 400 on every route, on both databases, from one shared guard.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { eachDialect } from '../helpers/oauth.js';
import { FormClient, readResponse } from '../helpers/browserless.js';
import { signIn } from '../helpers/console.js';
import { createWebAccount } from '../../src/console/accounts.js';
import { percentEncodedProblem } from '../../src/server/input-guard.js';

const BAD = [
  ['NUL', '%00'],
  ['a lone continuation byte', '%80'],
  ['an invalid lead byte', '%FF'],
  ['a truncated sequence', '%E4%B8'],
  ['an overlong encoding', '%C0%AF'],
  ['a UTF-16 surrogate', '%ED%A0%80'],
] as const;

async function send(url: string, init: RequestInit) {
  return readResponse(await fetch(url, { redirect: 'manual', ...init }));
}

await eachDialect('security: NUL bytes and invalid UTF-8 are 400 everywhere', {}, (server) => {
  function routes() {
    const doc = server().server.apiReference().document as { paths: Record<string, Record<string, unknown>> };
    return Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.keys(ops).map((m) => ({ template, method: m.toUpperCase() })),
    );
  }

  it('the cases named in the finding, signed in to the seller center, the developer console and the operator admin', async () => {
    const s = server();
    await createWebAccount(s.core.storage, { realm: 'operator', username: 'ops', password: 'operator password' });
    await createWebAccount(s.core.storage, { realm: 'developer', username: 'dev', password: 'developer password' });
    const browser = new FormClient(s.url);
    await signIn(browser, 'account', s.seller.username, s.seller.password);
    await signIn(browser, 'console', 'dev', 'developer password');
    await signIn(browser, 'admin', 'ops', 'operator password');
    const getRoutes = routes().filter((r) => r.method === 'GET');
    for (const [, bad] of BAD) {
      const paths = [
        '/console/apps/' + bad,
        `/admin?seller=${bad}`,
        `/admin?app=${bad}`,
        `/account?store=${bad}`,
        `/oauth/authorize?client_id=${bad}`,
      ];
      for (const { template } of getRoutes) {
        paths.push(`${template.replace(/\{[^}]+\}/g, 'x1')}?seller=${bad}`);
        if (template.includes('{')) paths.push(template.replace(/\{[^}]+\}/g, `a${bad}`));
      }
      for (const path of paths) {
        const res = await browser.get(path);
        assert.equal(res.status, 400, `${path}: ${res.status} ${(await res.text()).slice(0, 200)}`);
        await res.arrayBuffer().catch(() => undefined);
      }
    }
  });

  for (const [what, bad] of BAD) {
    it(`${what} in a path parameter, the query or a cookie: 400 on every route`, async () => {
      const s = server();
      const list = routes();
      assert.ok(list.length > 20);
      for (const { template, method } of list) {
        const plain = template.replace(/\{[^}]+\}/g, 'x1');
        const tries: Array<[string, RequestInit]> = [
          [`${plain}?seller=${bad}`, {}],
          [`${plain}?${bad}=1`, {}],
          [plain, { headers: { cookie: `sq_session=${bad}; sq_dev=${bad}; sq_op=${bad}; sq_csrf=${bad}` } }],
        ];
        if (template.includes('{')) tries.push([template.replace(/\{[^}]+\}/g, `a${bad}`), {}]);
        for (const [path, init] of tries) {
          const body = method === 'POST' ? 'a=1' : undefined;
          const headers = {
            ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            ...(init.headers as Record<string, string>),
          };
          const res = await send(`${s.url}${path}`, { method, headers, body });
          assert.equal(
            res.status,
            400,
            `${method} ${path} ${JSON.stringify(init)}: ${res.status} ${res.text.slice(0, 200)}`,
          );
        }
      }
    });

    it(`${what} in a form body: 400 on every POST route`, async () => {
      const s = server();
      for (const { template, method } of routes().filter((r) => r.method === 'POST')) {
        const path = template.replace(/\{[^}]+\}/g, 'x1');
        for (const body of [`a=${bad}`, `${bad}=1`]) {
          const res = await send(`${s.url}${path}`, {
            method,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
          assert.equal(res.status, 400, `${method} ${path} ${body}: ${res.status} ${res.text.slice(0, 200)}`);
        }
      }
    });
  }

  it('raw (unescaped) bytes that are not UTF-8 in a form body: 400', async () => {
    const s = server();
    for (const { template } of routes().filter((r) => r.method === 'POST')) {
      const path = template.replace(/\{[^}]+\}/g, 'x1');
      const body = Buffer.concat([Buffer.from('a='), Buffer.from([0xff, 0xfe]), Buffer.from('&b=1')]);
      const res = await send(`${s.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      assert.equal(res.status, 400, `POST ${path}: ${res.status} ${res.text.slice(0, 200)}`);
    }
  });

  it('valid UTF-8 (Chinese, emoji) and foreign cookies still pass', async () => {
    const s = server();
    const res = await send(`${s.url}/healthz?q=${encodeURIComponent('店铺 🛒')}`, {
      headers: { cookie: `other_app=%FF%00; sq_lang=zh-CN` },
    });
    assert.equal(res.status, 200);
    const token = await send(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=${encodeURIComponent('授权')}`,
    });
    assert.equal(token.status, 400);
    assert.equal(token.json.error, 'unsupported_grant_type');
  });
});

it('percentEncodedProblem: bytes, escapes and the lenient lone %', () => {
  assert.equal(percentEncodedProblem('/a/b?c=d%20e'), undefined);
  assert.equal(percentEncodedProblem('/a?c=100%'), undefined);
  assert.equal(percentEncodedProblem('/a?c=%zz'), undefined);
  assert.equal(percentEncodedProblem(`/a?c=${encodeURIComponent('店')}`), undefined);
  assert.equal(
    percentEncodedProblem(Buffer.from('/a?c=店', 'utf8').toString('latin1')),
    undefined,
    'raw UTF-8 bytes as Node hands them over',
  );
  assert.equal(percentEncodedProblem('/a?c=%00'), 'a NUL byte');
  assert.equal(percentEncodedProblem('/a?c=%ff'), 'bytes that are not UTF-8');
  assert.equal(percentEncodedProblem('/a?c=\u00ff'), 'bytes that are not UTF-8', 'a raw 0xFF byte');
});
