// The published shape of @shouquan/sdk: build ESM and CJS, install into a scratch project,
// and load it both ways by its package name (through the package.json `exports`).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('@shouquan/sdk package build (ESM + CJS)', () => {
  let root: string;
  let consumer: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'sdk-build-'));
    const installed = join(root, 'consumer', 'node_modules', '@shouquan', 'sdk');
    mkdirSync(installed, { recursive: true });
    const build = spawnSync(process.execPath, [join(pkgDir, 'scripts', 'build.mjs'), join(installed, 'dist')], {
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, build.stderr + build.stdout);
    cpSync(join(pkgDir, 'package.json'), join(installed, 'package.json'));
    consumer = join(root, 'consumer');
    writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const probe = `
    const names = Object.keys(sdk).sort();
    const sign = sdk.signParams({ method: 'taobao.item.seller.get', app_key: '12345678', session: 'test', timestamp: '2016-01-01 12:00:00', format: 'json', v: '2.0', sign_method: 'md5', fields: 'num_iid,title,nick,price,num', num_iid: '11223344' }, 'helloworld', 'md5');
    const c = new sdk.ShouquanClient({ baseUrl: 'https://a.example', appKey: 'k', appSecret: 's' });
    console.log(JSON.stringify({ names, sign, url: c.authorizeUrl({ state: 'x', pkce: false }).url, err: new sdk.OAuthError('m', { kind: 'oauth', error: 'invalid_grant' }) instanceof sdk.ShouquanError }));`;
  const expected = {
    sign: '66987CB115214E59E6EC978214934FB8',
    url: 'https://a.example/oauth/authorize?response_type=code&client_id=k&state=x',
    err: true,
  };

  it('loads with require() from the CommonJS build', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const sdk = require('@shouquan/sdk'); if (!require.resolve('@shouquan/sdk').includes('/dist/cjs/')) throw new Error('not cjs'); ${probe}`,
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual({ sign: out.sign, url: out.url, err: out.err }, expected);
    assert.ok(
      out.names.includes('ShouquanClient') &&
        out.names.includes('verifyWebhookSignature') &&
        out.names.includes('MemoryTokenStore'),
    );
  });

  it('loads with import from the ESM build, with the same exports', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import * as sdk from '@shouquan/sdk'; if (!import.meta.resolve('@shouquan/sdk').includes('/dist/esm/')) throw new Error('not esm'); ${probe}`,
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual({ sign: out.sign, url: out.url, err: out.err }, expected);
    const cjs = spawnSync(process.execPath, ['-e', `const sdk = require('@shouquan/sdk'); ${probe}`], {
      cwd: consumer,
      encoding: 'utf8',
    });
    assert.deepEqual(out.names, JSON.parse(cjs.stdout).names);
  });

  it('ships type declarations for both builds and has no runtime dependencies', () => {
    const installed = join(consumer, 'node_modules', '@shouquan', 'sdk');
    assert.ok(existsSync(join(installed, 'dist', 'esm', 'index.d.ts')));
    assert.ok(existsSync(join(installed, 'dist', 'cjs', 'index.d.ts')));
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    assert.equal(pkg.name, '@shouquan/sdk');
    assert.equal(pkg.dependencies, undefined);
    assert.deepEqual(Object.keys(pkg.exports['.']), ['import', 'require']);
  });
});
