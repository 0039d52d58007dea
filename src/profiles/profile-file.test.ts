import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileFromJson, profileProblems } from './profile-file.js';
import { builtinProfiles, getProfile } from './registry.js';
import { refreshGraceOf } from './profile.js';

describe('profile files', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shouquan-profile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, body: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
    return path;
  };

  it('every shipped profile passes the same validation as an operator file', () => {
    for (const [name, p] of Object.entries(builtinProfiles)) {
      assert.deepEqual(profileProblems(JSON.parse(JSON.stringify(p))), [], name);
      assert.equal(p.name, name);
    }
  });

  it('checks the gateway dialect: method prefix and scope permissions', () => {
    const base = JSON.parse(JSON.stringify(builtinProfiles.smallec));
    assert.deepEqual(profileProblems({ ...base, gateway: { methodPrefix: 'Bad.Prefix' } }), [
      'gateway.methodPrefix must be lowercase letters, digits or _ (e.g. "psdm")',
    ]);
    assert.deepEqual(
      profileProblems({
        ...base,
        gateway: { methodPrefix: 'shop', scopePermissions: { seller: 'orders.read' }, extra: 1 },
      }),
      ['gateway: unknown key "extra"', 'gateway.scopePermissions.seller must be a list of permission names'],
    );
  });

  it('a full copy of a shipped profile loads as a file', () => {
    const path = write('copy.json', { ...builtinProfiles.meilishuo, name: 'myshop', title: 'My Shop' });
    const p = getProfile(path);
    assert.equal(p.name, 'myshop');
    assert.deepEqual(p.responses, builtinProfiles.meilishuo!.responses);
  });

  it('extends a shipped profile: objects merge, arrays replace (switch to exact matching)', () => {
    const path = write('exact.json', {
      extends: 'meilishuo',
      name: 'meilishuo-exact',
      redirectRule: 'exact',
      lifetimes: { access: 3600 },
    });
    const p = getProfile(path);
    assert.equal(p.redirectRule, 'exact');
    assert.deepEqual(p.lifetimes, { code: 300, access: 3600, refresh: 14 * 24 * 3600 });
    assert.equal(p.paths.token, '/token');
    assert.equal(builtinProfiles.meilishuo!.redirectRule, 'registrable-domain', 'the shipped profile is untouched');
  });

  it('takes refresh.graceSeconds from 0 to 3600; without it a rotating profile gets 60 (docs/adr/0100)', () => {
    assert.equal(
      refreshGraceOf(
        getProfile(write('g0.json', { extends: 'standard', name: 'g0', refresh: { rotate: true, graceSeconds: 0 } })),
      ),
      0,
    );
    assert.equal(
      refreshGraceOf(
        getProfile(write('g5.json', { extends: 'standard', name: 'g5', refresh: { rotate: true, graceSeconds: 5 } })),
      ),
      5,
    );
    const copy = { ...builtinProfiles.standard, name: 'nograce', refresh: { rotate: true } };
    assert.equal(refreshGraceOf(getProfile(write('nograce.json', copy))), 60);
    assert.equal(
      refreshGraceOf(
        getProfile(write('norotate.json', { ...copy, name: 'norotate', refresh: { rotate: false, graceSeconds: 60 } })),
      ),
      0,
      'no rotation, no window',
    );
    assert.throws(
      () =>
        getProfile(
          write('gbad.json', { extends: 'standard', name: 'gbad', refresh: { rotate: true, graceSeconds: 3601 } }),
        ),
      /refresh\.graceSeconds must be a whole number of seconds from 0 to 3600 \(got 3601\)/,
    );
  });

  it('names every bad field in one clear error', () => {
    const path = write('bad.json', {
      extends: 'standard',
      name: 'Bad Name',
      redirect_rule: 'exact',
      redirectRule: 'domain',
      paths: { token: 'token', revoke: '/healthz' },
      lifetimes: { code: 3600 },
      token: { methods: { authorization_code: ['PUT'] } },
      responses: { code: [{ name: 'token', from: 'nothing' }] },
    });
    assert.throws(
      () => getProfile(path),
      (e: Error) => {
        assert.match(
          e.message,
          new RegExp(`^profile file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid profile:`),
        );
        for (const bit of [
          'unknown field "redirect_rule"',
          'name must be lower-case letters',
          'redirectRule must be one of "exact", "same-host", "registrable-domain", "host-or-registrable-domain" (got "domain")',
          'paths.token must be a path starting with "/"',
          'paths.revoke "/healthz" is used by the server itself',
          'lifetimes.code must be a whole number of seconds from 1 to 600 (got 3600)',
          'token.methods.authorization_code may only contain "GET", "POST" (got "PUT")',
          'responses.code[0].from must be one of',
          'responses.code must have a field from "access_token"',
        ]) {
          assert.ok(e.message.includes(bit), `missing: ${bit}\n${e.message}`);
        }
        return true;
      },
    );
  });

  it('explains missing files, bad JSON, wrong extension and unknown bases', () => {
    assert.throws(() => getProfile(join(dir, 'nope.json')), /^Error: profile file .*nope\.json does not exist$/);
    assert.throws(
      () => getProfile(write('broken.json', '{"name": ')),
      /^Error: profile file .*broken\.json is not valid JSON: /,
    );
    assert.throws(() => getProfile('./platform.profile.ts'), /must be JSON and end in \.json/);
    assert.throws(
      () => profileFromJson({ extends: 'taobao' }, builtinProfiles, 'x.json'),
      /extends must name a shipped profile \(standard, perfee, meilishuo, mogujie, realshark, smallec\), got "taobao"/,
    );
    assert.throws(
      () => getProfile('taobao'),
      /unknown profile "taobao" \(known: standard, perfee, meilishuo, mogujie, realshark, smallec; or a path to a JSON profile file\)/,
    );
  });
});
