// Adversarial redirect_uri values (RFC 6749 §3.1.2.3, §4.1.2.1, §10.6, §10.15; RFC 9700 §4.1.3, §2.1).
// The registered callback is https://isv.example.com/callback; every variant must get an
// error page from the server, never a redirect.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FormClient } from '../helpers/browserless.js';
import { authorizeUrl, eachDialect } from '../helpers/oauth.js';

const BAD: Array<[string, string]> = [
  ['unregistered host', 'https://evil.example.net/callback'],
  ['userinfo before the host', 'https://isv.example.com@evil.example.net/callback'],
  ['userinfo with the right host', 'https://evil@isv.example.com/callback'],
  ['backslash before @', 'https://isv.example.com\\@evil.example.net/callback'],
  ['backslash path', 'https://isv.example.com\\callback'],
  ['suffix host', 'https://isv.example.com.evil.example.net/callback'],
  ['lookalike host (prefix)', 'https://evilisv.example.com/callback'],
  ['lookalike host (dash)', 'https://isv-example.com/callback'],
  ['fragment', 'https://isv.example.com/callback#x'],
  ['empty fragment', 'https://isv.example.com/callback#'],
  ['dot-dot path', 'https://isv.example.com/x/../callback'],
  ['encoded dot-dot', 'https://isv.example.com/x/%2e%2e/callback'],
  ['double-encoded dot-dot', 'https://isv.example.com/x/%252e%252e/callback'],
  ['encoded slash', 'https://isv.example.com%2fcallback'],
  ['javascript: scheme', 'javascript:alert(1)//https://isv.example.com/callback'],
  ['data: scheme', 'data:text/html,<script>alert(1)</script>'],
  ['file: scheme', 'file:///etc/passwd'],
  ['homoglyph host (Cyrillic і)', 'https://\u0456sv.example.com/callback'],
  ['punycode homoglyph host', 'https://xn--sv-kmc.example.com/callback'],
  ['trailing dot host', 'https://isv.example.com./callback'],
  ['upper-case host', 'https://ISV.example.com/callback'],
  ['upper-case path', 'https://isv.example.com/Callback'],
  ['explicit default port', 'https://isv.example.com:443/callback'],
  ['other port', 'https://isv.example.com:8443/callback'],
  ['trailing slash', 'https://isv.example.com/callback/'],
  ['double slash', 'https://isv.example.com//callback'],
  ['added query', 'https://isv.example.com/callback?next=https://evil.example.net'],
  ['http instead of https', 'http://isv.example.com/callback'],
  ['scheme-relative', '//isv.example.com/callback'],
  ['relative path', '/callback'],
  ['whitespace padded', ' https://isv.example.com/callback'],
  ['encoded newline', 'https://isv.example.com/callback%0d%0aLocation:%20https://evil.example.net'],
];

await eachDialect('security: redirect_uri', {}, (server) => {
  for (const [name, uri] of BAD) {
    it(`${name} → error page, no redirect`, async () => {
      const s = server();
      const res = await fetch(new URL(authorizeUrl(s, { redirect_uri: uri }), s.url), {
        redirect: 'manual',
        headers: { accept: 'text/html' },
      });
      const body = await res.text();
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(body, /redirect_uri does not match the callback registered for this app/);
    });
  }

  it('a bad redirect_uri together with a bad scope is still an error page', async () => {
    const s = server();
    const res = await fetch(
      new URL(authorizeUrl(s, { redirect_uri: 'https://evil.example.net/cb', scope: 'nope' }), s.url),
      { redirect: 'manual' },
    );
    await res.arrayBuffer();
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });

  it('an unknown client is an error page, never a redirect', async () => {
    const s = server();
    const res = await fetch(
      `${s.url}/oauth/authorize?response_type=code&client_id=99999999&redirect_uri=${encodeURIComponent(s.client.callback)}`,
      { redirect: 'manual' },
    );
    await res.arrayBuffer();
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });

  it('redirects after a POST use 303 See Other (RFC 9700 §4.12)', async () => {
    const s = server();
    const c = new FormClient(s.url);
    const start = await c.get(authorizeUrl(s));
    assert.equal(start.status, 303);
    const page = await (await c.get(start.headers.get('location')!)).text();
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(page)![1]!;
    const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!;
    const login = await c.post(action, { csrf_token: csrf, username: s.seller.username, password: s.seller.password });
    assert.equal(login.status, 303);
    const consentPage = await (await c.get(login.headers.get('location')!)).text();
    const consent = await c.post(/<form method="post" action="([^"]+)"/.exec(consentPage)![1]!, {
      csrf_token: /name="csrf_token" value="([^"]+)"/.exec(consentPage)![1]!,
      store_id: String(s.seller.stores[0]!.storeId),
      decision: 'approve',
    });
    assert.equal(consent.status, 303);
    assert.ok(consent.headers.get('location')!.startsWith(`${s.client.callback}?code=`));
  });
});
