import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import { resolveServeConfig } from '../config.js';

describe('choosing a profile for serve', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shouquan-serve-profile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a shipped name from --profile or SHOUQUAN_PROFILE, with its lifetimes', () => {
    const c = resolveServeConfig({ profile: 'meilishuo' }, {});
    assert.equal(c.profile.name, 'meilishuo');
    assert.equal(c.accessTokenTtl, 604800);
    assert.equal(c.codeTtl, 300);
    assert.equal(resolveServeConfig({}, { SHOUQUAN_PROFILE: 'smallec' }).profile.name, 'smallec');
  });

  it('loads an operator JSON file', () => {
    const path = join(dir, 'acme.json');
    writeFileSync(
      path,
      JSON.stringify({
        extends: 'realshark',
        name: 'acme',
        title: 'ACME 开放平台',
        paths: { authorize: '/acme/authorize', token: '/acme/token' },
      }),
    );
    const c = resolveServeConfig({ profile: path }, {});
    assert.equal(c.profile.name, 'acme');
    assert.equal(c.profile.paths.token, '/acme/token');
    assert.equal(c.profile.paths.revoke, '/revoke');
  });

  it('--redirect-rule switches a legacy profile to exact matching', () => {
    assert.equal(
      resolveServeConfig({ profile: 'meilishuo', 'redirect-rule': 'exact' }, {}).profile.redirectRule,
      'exact',
    );
    assert.equal(
      resolveServeConfig({ profile: 'smallec' }, { SHOUQUAN_REDIRECT_RULE: 'exact' }).profile.redirectRule,
      'exact',
    );
    assert.equal(resolveServeConfig({ profile: 'meilishuo' }, {}).profile.redirectRule, 'registrable-domain');
    assert.throws(
      () => resolveServeConfig({ 'redirect-rule': 'domain' }, {}),
      /^Error: --redirect-rule must be one of exact, same-host, registrable-domain, host-or-registrable-domain, got "domain"$/,
    );
  });

  it('shouquan serve with a bad profile file exits 2 (a usage error) with a clear message', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ extends: 'perfee', redirectRule: 'loose' }));
    const err: string[] = [];
    const code = await main(['serve', '--profile', path], { log: () => {}, err: (s) => err.push(s) });
    assert.equal(code, 2);
    assert.equal(
      err.join('\n'),
      `shouquan: profile file ${path} is not a valid profile:\n  - redirectRule must be one of "exact", "same-host", "registrable-domain", "host-or-registrable-domain" (got "loose")\n(see docs/profiles.md)`,
    );
  });
});
