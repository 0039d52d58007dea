import { it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveServeConfig } from './config.js';

it('merges flags over environment over defaults', () => {
  const c = resolveServeConfig({ port: '8000' }, { SHOUQUAN_PORT: '9000', SHOUQUAN_HOST: '0.0.0.0' });
  assert.equal(c.port, 8000);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.issuer, 'http://127.0.0.1:8000');
  assert.equal(c.databaseUrl, 'sqlite:./data/shouquan.db');
  assert.equal(c.profile.name, 'standard');
  assert.equal(c.accessTokenTtl, 7200);
  assert.equal(c.sandbox, false);
});

it('names the bad value', () => {
  assert.throws(() => resolveServeConfig({ port: 'x' }, {}), /--port/);
  assert.throws(() => resolveServeConfig({ database: 'mysql://x' }, {}), /must start with sqlite: or postgres:\/\//);
  assert.throws(() => resolveServeConfig({ issuer: 'not a url' }, {}), /--issuer/);
  assert.throws(() => resolveServeConfig({ profile: 'nope' }, {}), /unknown profile "nope"/);
  assert.throws(() => resolveServeConfig({ 'code-ttl': '601' }, {}), /at most 600/);
});

it('reads --trust-proxy as a boolean, a hop count or proxy addresses', () => {
  assert.equal(resolveServeConfig({}, {}).trustProxy, false);
  assert.equal(resolveServeConfig({ 'trust-proxy': 'true' }, {}).trustProxy, true);
  assert.equal(resolveServeConfig({}, { SHOUQUAN_TRUST_PROXY: '2' }).trustProxy, 2);
  assert.deepEqual(resolveServeConfig({ 'trust-proxy': '10.0.0.1, 10.0.0.0/8' }, {}).trustProxy, [
    '10.0.0.1',
    '10.0.0.0/8',
  ]);
  assert.throws(() => resolveServeConfig({ 'trust-proxy': 'everyone!' }, {}), /--trust-proxy/);
});

it('reads --workers as a count from 1 to 64 or auto (one per CPU)', async () => {
  const { availableParallelism } = await import('node:os');
  const pgEnv = { SHOUQUAN_DATABASE_URL: 'postgres://u@db/shouquan' };
  assert.equal(resolveServeConfig({}, {}).workers, 1);
  assert.equal(resolveServeConfig({ workers: '2' }, { ...pgEnv, SHOUQUAN_WORKERS: '3' }).workers, 2);
  assert.equal(resolveServeConfig({}, { ...pgEnv, SHOUQUAN_WORKERS: '3' }).workers, 3);
  assert.equal(resolveServeConfig({ workers: 'auto' }, pgEnv).workers, Math.min(availableParallelism(), 64));
  for (const bad of ['0', '65', '1.5', 'many', '-1'])
    assert.throws(
      () => resolveServeConfig({ workers: bad }, {}),
      /--workers must be a whole number from 1 to 64 or auto/,
    );
  const pg = { database: 'postgres://u@db/shouquan' };
  assert.equal(resolveServeConfig({ ...pg, workers: '2' }, {}).workers, 2);
  assert.throws(
    () => resolveServeConfig({ workers: '2', database: 'sqlite:./x.db' }, {}),
    /^Error: --workers above 1 needs PostgreSQL: SQLite lets one process write at a time/,
  );
  assert.throws(
    () => resolveServeConfig({}, { SHOUQUAN_WORKERS: '2', SHOUQUAN_DATABASE_URL: 'sqlite::memory:' }),
    /needs PostgreSQL/,
  );
  assert.equal(resolveServeConfig({ workers: '1', database: 'sqlite::memory:' }, {}).workers, 1);
});

it("reads --refresh-grace as whole seconds from 0 to 3600, else the profile's (docs/adr/0100)", () => {
  assert.equal(resolveServeConfig({}, {}).refreshGrace, 60, 'standard rotates: 60 s');
  assert.equal(resolveServeConfig({ profile: 'perfee' }, {}).refreshGrace, 0, 'perfee does not rotate');
  assert.equal(resolveServeConfig({ profile: 'meilishuo' }, {}).refreshGrace, 60);
  assert.equal(
    resolveServeConfig({ 'refresh-grace': '0' }, { SHOUQUAN_REFRESH_GRACE: '30' }).refreshGrace,
    0,
    'the flag wins, 0 turns it off',
  );
  assert.equal(resolveServeConfig({}, { SHOUQUAN_REFRESH_GRACE: '300' }).refreshGrace, 300);
  assert.equal(resolveServeConfig({ 'refresh-grace': '3600' }, {}).refreshGrace, 3600);
  for (const bad of ['3601', '-1', '1.5', 'sixty', '']) {
    if (bad === '') continue; // an empty variable counts as unset
    assert.throws(() => resolveServeConfig({ 'refresh-grace': bad }, {}), {
      message: `--refresh-grace must be a whole number of seconds from 0 to 3600, got "${bad}"`,
    });
  }
});

it('reads --redis (SHOUQUAN_REDIS_URL) as a redis:// or rediss:// URL; absent means the database', () => {
  assert.equal(resolveServeConfig({}, {}).redisUrl, undefined);
  assert.equal(resolveServeConfig({ redis: 'redis://127.0.0.1:6379/2' }, {}).redisUrl, 'redis://127.0.0.1:6379/2');
  assert.equal(
    resolveServeConfig({}, { SHOUQUAN_REDIS_URL: 'rediss://:pw@cache.internal:6380' }).redisUrl,
    'rediss://:pw@cache.internal:6380',
  );
  assert.throws(
    () => resolveServeConfig({ redis: 'http://cache:6379' }, {}),
    /^Error: --redis must be a redis:\/\/ or rediss:\/\/ URL, got a http URL$/,
  );
  assert.throws(
    () => resolveServeConfig({ redis: 'not a url :secret@' }, {}),
    /--redis must be a redis:\/\/ or rediss:\/\/ URL/,
  );
});

it('--seller-oidc-issuer and --seller-oidc-client-id with the secret from SHOUQUAN_SELLER_OIDC_CLIENT_SECRET only', () => {
  const env = { SHOUQUAN_SELLER_OIDC_CLIENT_SECRET: 's3cret' };
  assert.deepEqual(
    resolveServeConfig({ 'seller-oidc-issuer': 'https://sso.example.com', 'seller-oidc-client-id': 'shouquan' }, env)
      .sellerOidc,
    {
      issuer: 'https://sso.example.com',
      clientId: 'shouquan',
      clientSecret: 's3cret',
    },
  );
  assert.equal(resolveServeConfig({}, env).sellerOidc, undefined);
  assert.deepEqual(
    resolveServeConfig(
      {},
      { ...env, SHOUQUAN_SELLER_OIDC_ISSUER: 'http://127.0.0.1:9000', SHOUQUAN_SELLER_OIDC_CLIENT_ID: 'x' },
    ).sellerOidc?.issuer,
    'http://127.0.0.1:9000',
  );
  assert.throws(
    () =>
      resolveServeConfig({ 'seller-oidc-issuer': 'https://sso.example.com', 'seller-oidc-client-id': 'shouquan' }, {}),
    /SHOUQUAN_SELLER_OIDC_CLIENT_SECRET/,
  );
  assert.throws(
    () => resolveServeConfig({ 'seller-oidc-issuer': 'https://sso.example.com' }, env),
    /needs --seller-oidc-client-id/,
  );
  assert.throws(() => resolveServeConfig({ 'seller-oidc-client-id': 'x' }, env), /needs --seller-oidc-issuer/);
  assert.throws(
    () => resolveServeConfig({ 'seller-oidc-issuer': 'http://sso.example.com', 'seller-oidc-client-id': 'x' }, env),
    /https URL \(http only for localhost\)/,
  );
  assert.throws(
    () =>
      resolveServeConfig(
        {
          'seller-oidc-issuer': 'https://sso.example.com',
          'seller-oidc-client-id': 'x',
          'seller-directory': 'https://dir.example.com',
        },
        { ...env, SHOUQUAN_SELLER_DIRECTORY_SECRET: 'd' },
      ),
    /choose one/,
  );
});
