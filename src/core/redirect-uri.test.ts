import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalRedirectUri, redirectUriMatches, registrableDomain } from './redirect-uri.js';

const REG = ['https://shop.example.com.cn/callback'];

describe('redirectUriMatches', () => {
  it('exact: only the identical string', () => {
    assert.equal(redirectUriMatches('exact', 'https://shop.example.com.cn/callback', REG), true);
    assert.equal(redirectUriMatches('exact', 'https://shop.example.com.cn/callback/', REG), false);
    assert.equal(redirectUriMatches('exact', 'https://shop.example.com.cn/other', REG), false);
    assert.equal(redirectUriMatches('exact', 'https://api.example.com.cn/callback', REG), false);
  });

  it('every rule accepts an exact match, even of a non-canonical registration', () => {
    for (const rule of ['exact', 'same-host', 'registrable-domain', 'host-or-registrable-domain'] as const) {
      assert.equal(redirectUriMatches(rule, 'http://www.oauth.net', ['http://www.oauth.net']), true, rule);
    }
  });

  it('same-host: any canonical path on the registered host, nothing else', () => {
    assert.equal(redirectUriMatches('same-host', 'https://shop.example.com.cn/other?x=1', REG), true);
    assert.equal(redirectUriMatches('same-host', 'https://api.example.com.cn/callback', REG), false);
    assert.equal(redirectUriMatches('same-host', 'https://example.com.cn/callback', REG), false);
  });

  it('registrable-domain: sibling hosts under the same eTLD+1 (Public Suffix List)', () => {
    assert.equal(redirectUriMatches('registrable-domain', 'https://api.example.com.cn/cb', REG), true);
    assert.equal(redirectUriMatches('registrable-domain', 'https://example.com.cn/cb', REG), true);
    assert.equal(redirectUriMatches('registrable-domain', 'https://a.b.example.com.cn/cb', REG), true);
    // com.cn is a public suffix: example.com.evil.cn belongs to evil.cn.
    assert.equal(redirectUriMatches('registrable-domain', 'https://example.com.evil.cn/callback', REG), false);
    assert.equal(redirectUriMatches('registrable-domain', 'https://other.com.cn/callback', REG), false);
    assert.equal(redirectUriMatches('registrable-domain', 'https://shop.example.com/callback', REG), false);
  });

  it('registrable-domain: private suffixes separate tenants (a.github.io is not b.github.io)', () => {
    assert.equal(redirectUriMatches('registrable-domain', 'https://b.github.io/cb', ['https://a.github.io/cb']), false);
    assert.equal(
      redirectUriMatches('registrable-domain', 'https://x.a.github.io/cb', ['https://a.github.io/cb']),
      true,
    );
  });

  it('registrable-domain: a host without a registrable domain only matches exactly', () => {
    assert.equal(redirectUriMatches('registrable-domain', 'http://localhost/b', ['http://localhost/a']), false);
    assert.equal(redirectUriMatches('host-or-registrable-domain', 'http://localhost/b', ['http://localhost/a']), true);
    assert.equal(redirectUriMatches('registrable-domain', 'https://x.com.cn/b', ['https://com.cn/a']), false);
  });

  it('host-or-registrable-domain: either', () => {
    assert.equal(redirectUriMatches('host-or-registrable-domain', 'https://shop.example.com.cn/x', REG), true);
    assert.equal(redirectUriMatches('host-or-registrable-domain', 'https://api.example.com.cn/x', REG), true);
    assert.equal(redirectUriMatches('host-or-registrable-domain', 'https://example.com.evil.cn/x', REG), false);
  });

  it('refuses a different scheme or port', () => {
    assert.equal(redirectUriMatches('registrable-domain', 'http://api.example.com.cn/cb', REG), false);
    assert.equal(redirectUriMatches('registrable-domain', 'https://api.example.com.cn:8443/cb', REG), false);
    assert.equal(
      redirectUriMatches('registrable-domain', 'https://api.example.com:8443/cb', ['https://shop.example.com:8443/cb']),
      true,
    );
  });

  // Every refused shape, against a registration it would otherwise match by domain.
  const refused: Array<[string, string]> = [
    ['userinfo', 'https://evil.cn@api.example.com.cn/cb'],
    ['userinfo with password', 'https://a:b@api.example.com.cn/cb'],
    ['backslash', 'https://api.example.com.cn\\@evil.cn/cb'],
    ['backslash in path', 'https://api.example.com.cn/cb\\x'],
    ['fragment', 'https://api.example.com.cn/cb#x'],
    ['empty fragment', 'https://api.example.com.cn/cb#'],
    ['trailing dot', 'https://api.example.com.cn./cb'],
    ['dot-dot segment', 'https://api.example.com.cn/a/../cb'],
    ['dot-dot in a name (canonical but refused)', 'https://api.example.com.cn/a..b'],
    ['percent-encoded dot', 'https://api.example.com.cn/%2e%2e/cb'],
    ['percent-encoded dot, upper case', 'https://api.example.com.cn/a%2Eb'],
    ['upper-case host', 'https://API.example.com.cn/cb'],
    ['missing path', 'https://api.example.com.cn'],
    ['default port written out', 'https://api.example.com.cn:443/cb'],
    ['leading whitespace', ' https://api.example.com.cn/cb'],
    ['trailing whitespace', 'https://api.example.com.cn/cb '],
    ['tab inside', 'https://api.exa\tmple.com.cn/cb'],
    ['unencoded space in path', 'https://api.example.com.cn/c b'],
    ['non-ASCII host', 'https://api.例子.com.cn/cb'],
    ['scheme in upper case', 'HTTPS://api.example.com.cn/cb'],
    ['javascript scheme', 'javascript://api.example.com.cn/cb'],
    ['relative', '//api.example.com.cn/cb'],
    ['not a URL', 'api.example.com.cn'],
  ];
  for (const [why, uri] of refused) {
    it(`refuses ${why}: ${JSON.stringify(uri)}`, () => {
      for (const rule of ['same-host', 'registrable-domain', 'host-or-registrable-domain'] as const) {
        assert.equal(redirectUriMatches(rule, uri, REG), false, rule);
      }
    });
  }

  it('refuses IP literals, even when the registration is the same IP', () => {
    assert.equal(redirectUriMatches('same-host', 'http://127.0.0.1/b', ['http://127.0.0.1/a']), false);
    assert.equal(redirectUriMatches('host-or-registrable-domain', 'http://[::1]/b', ['http://[::1]/a']), false);
    assert.equal(redirectUriMatches('registrable-domain', 'http://10.0.0.1/cb', ['http://example.com/cb']), false);
    // …but the exact registered string still matches.
    assert.equal(redirectUriMatches('same-host', 'http://127.0.0.1/a', ['http://127.0.0.1/a']), true);
  });

  it('IDN hosts: only the byte-identical host matches', () => {
    const idn = ['https://例子.中国/cb'];
    // The punycode form of the same host is not byte-identical to the registration.
    assert.equal(redirectUriMatches('registrable-domain', 'https://xn--fsqu00a.xn--fiqs8s/other', idn), false);
    assert.equal(redirectUriMatches('registrable-domain', 'https://例子.中国/other', idn), false);
    assert.equal(redirectUriMatches('registrable-domain', 'https://例子.中国/cb', idn), true);
    const puny = ['https://xn--fsqu00a.xn--fiqs8s/cb'];
    assert.equal(redirectUriMatches('registrable-domain', 'https://xn--fsqu00a.xn--fiqs8s/other', puny), true);
    assert.equal(redirectUriMatches('registrable-domain', 'https://shop.xn--fsqu00a.xn--fiqs8s/cb', puny), false);
    assert.equal(redirectUriMatches('registrable-domain', 'https://xn--fsqu00a.example.com.cn/cb', REG), false);
  });

  it('ignores registrations that are not URLs or are IP literals', () => {
    assert.equal(redirectUriMatches('registrable-domain', 'https://api.example.com.cn/cb', ['not a url']), false);
    assert.equal(
      redirectUriMatches('same-host', 'https://api.example.com.cn/cb', ['https://api.example.com.cn./cb']),
      false,
    );
  });
});

describe('canonicalRedirectUri', () => {
  it('accepts canonical http(s) URLs with query', () => {
    const r = canonicalRedirectUri('https://shop.example.com.cn/cb?from=oauth&x=1');
    assert.equal(r.ok, true);
  });
  it('names the reason for a refusal', () => {
    assert.deepEqual(canonicalRedirectUri('https://a@b.example.com/'), { ok: false, reason: 'userinfo' });
    assert.deepEqual(canonicalRedirectUri('https://b.example.com/#'), { ok: false, reason: 'fragment' });
    assert.deepEqual(canonicalRedirectUri('https://b.example.com./'), { ok: false, reason: 'trailing dot' });
    assert.deepEqual(canonicalRedirectUri('https://1.2.3.4/'), { ok: false, reason: 'IP literal' });
    assert.deepEqual(canonicalRedirectUri('https://b.example.com'), { ok: false, reason: 'not canonical' });
    assert.deepEqual(canonicalRedirectUri('ftp://b.example.com/'), { ok: false, reason: 'scheme' });
  });
});

describe('registrableDomain', () => {
  it('uses the Public Suffix List', () => {
    assert.equal(registrableDomain('shop.example.com.cn'), 'example.com.cn');
    assert.equal(registrableDomain('api.example.com.cn'), 'example.com.cn');
    assert.equal(registrableDomain('example.com.evil.cn'), 'evil.cn');
    assert.equal(registrableDomain('com.cn'), null);
  });
});
