// Issue 17: `serve --config FILE` (SHOUQUAN_CONFIG) and `shouquan config print`, as an operator runs them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { configCommand } from '../../src/cli/config.command.js';
import { spawnServer } from '../helpers/processes.js';

async function run(fn: (out: { log: (s: string) => void; err: (s: string) => void }) => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await fn({ log: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('--config FILE and shouquan config print', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'shouquan-config-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serve reads the TOML file named by SHOUQUAN_CONFIG; flags and variables win over it', async () => {
    const file = join(dir, 'shouquan.toml');
    writeFileSync(file, `# Shouquan\nissuer = "https://auth.example.com"\naccess-token-ttl = 600\nport = 1\n`);
    const server = await spawnServer(`sqlite:${join(dir, 'a.db')}`, [], {
      env: { ...process.env, SHOUQUAN_CONFIG: file, SHOUQUAN_ACCESS_TOKEN_TTL: '900' },
    });
    try {
      // --port 0 (a flag) won over port = 1 (the file).
      assert.notEqual(new URL(server.url).port, '1');
      const meta = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as {
        issuer: string;
      };
      assert.equal(meta.issuer, 'https://auth.example.com');
    } finally {
      await server.stop();
    }
  });

  it('serve --config with a bad line exits 2 and names the file and line', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{\n  "port": 7070,\n  "log-levle": "debug"\n}\n');
    const r = await run((out) => main(['serve', '--config', file], out));
    assert.equal(r.code, 2);
    assert.equal(
      r.err,
      `shouquan: ${file}:3: unknown setting "log-levle" (did you mean "log-level"?); the keys are serve's flag names without "--" ("shouquan serve --help")`,
    );
    writeFileSync(file, '{\n  "port": 7070,\n  "database": "postgres://app:s3cret@db/shouquan"\n}\n');
    const s = await run((out) => main(['serve', '--config', file], out));
    assert.equal(s.code, 2);
    assert.match(
      s.err,
      /bad\.json:3: "database" carries a password, and a config file never holds secrets: put the whole URL in a file and set database-url-file = "PATH"/,
    );
    assert.doesNotMatch(s.err, /s3cret/);
  });

  it('serve refuses a password in --database or --redis (exit 2), naming where to put it instead', async () => {
    const db = await run((out) => main(['serve', '--database', 'postgres://app:s3cret@127.0.0.1:1/shouquan'], out));
    assert.equal(db.code, 2);
    assert.equal(
      db.err,
      'shouquan: --database may not carry a password (any local user sees it in "ps"); give the URL in SHOUQUAN_DATABASE_URL or --database-url-file',
    );
    const redis = await run((out) =>
      main(['serve', '--database', `sqlite:${join(dir, 'r.db')}`, '--redis', 'redis://:s3cret@127.0.0.1:1'], out),
    );
    assert.equal(redis.code, 2);
    assert.equal(
      redis.err,
      'shouquan: --redis may not carry a password (any local user sees it in "ps"); give the URL in SHOUQUAN_REDIS_URL or --redis-url-file',
    );
  });

  it('config print shows each effective setting and its source; secrets masked', async () => {
    const file = join(dir, 'print.toml');
    writeFileSync(file, 'host = "0.0.0.0"\n\n"trust-proxy" = ["10.0.0.0/8"]\nlog-level = "warn"\n');
    const env = {
      SHOUQUAN_CONFIG: file,
      SHOUQUAN_LOG_LEVEL: 'debug',
      SHOUQUAN_DATABASE_URL: 'postgres://shouquan:hunter2@db:5432/shouquan',
      SHOUQUAN_SELLER_DIRECTORY: 'https://accounts.example.com/auth',
      SHOUQUAN_SELLER_DIRECTORY_SECRET: 'topsecret',
    };
    const r = await run((out) => configCommand('print', ['--port', '8080', '--json'], out, env));
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /hunter2|topsecret/);
    const printed = JSON.parse(r.out) as { config_file: string; settings: Record<string, unknown> };
    assert.equal(printed.config_file, file);
    assert.deepEqual(printed.settings.port, { value: 8080, source: 'flag', env: 'SHOUQUAN_PORT' });
    assert.deepEqual(printed.settings['log-level'], { value: 'debug', source: 'env', env: 'SHOUQUAN_LOG_LEVEL' });
    assert.deepEqual(printed.settings.host, { value: '0.0.0.0', source: 'file', env: 'SHOUQUAN_HOST', line: 1 });
    assert.deepEqual(printed.settings['trust-proxy'], {
      value: ['10.0.0.0/8'],
      source: 'file',
      env: 'SHOUQUAN_TRUST_PROXY',
      line: 3,
    });
    assert.deepEqual(printed.settings['request-timeout'], {
      value: 30,
      source: 'default',
      env: 'SHOUQUAN_REQUEST_TIMEOUT',
    });
    assert.deepEqual(printed.settings.database, {
      value: 'postgres://shouquan:***@db:5432/shouquan',
      source: 'env',
      env: 'SHOUQUAN_DATABASE_URL',
    });
    assert.deepEqual(printed.settings['seller-directory-secret'], {
      value: '***',
      source: 'env',
      env: 'SHOUQUAN_SELLER_DIRECTORY_SECRET',
    });
    assert.deepEqual(printed.settings.issuer, {
      value: 'http://127.0.0.1:8080',
      source: 'default',
      env: 'SHOUQUAN_ISSUER',
    });

    const text = await run((out) => configCommand('print', ['--port', '8080'], out, env));
    const lines = text.out.split('\n');
    assert.match(lines[0]!, /^setting +value +source$/);
    assert.ok(
      lines.some((l) => /^port +8080 +flag --port$/.test(l)),
      text.out,
    );
    assert.ok(
      lines.some((l) => new RegExp(`^host +0\\.0\\.0\\.0 +file ${file.replace(/[.]/g, '\\.')}:1$`).test(l)),
      text.out,
    );
    assert.ok(
      lines.some((l) => /^log-level +debug +env SHOUQUAN_LOG_LEVEL$/.test(l)),
      text.out,
    );
    assert.ok(
      lines.some((l) => /^request-timeout +30 +default$/.test(l)),
      text.out,
    );
    assert.doesNotMatch(text.out, /hunter2|topsecret/);
  });

  it('every command reads SHOUQUAN_DATABASE_URL_FILE when SHOUQUAN_DATABASE_URL is unset (a container secret)', async () => {
    const secret = join(dir, 'database_url');
    writeFileSync(secret, `sqlite:${join(dir, 'from-file.db')}\n`);
    const saved = { url: process.env.SHOUQUAN_DATABASE_URL, file: process.env.SHOUQUAN_DATABASE_URL_FILE };
    delete process.env.SHOUQUAN_DATABASE_URL;
    process.env.SHOUQUAN_DATABASE_URL_FILE = secret;
    try {
      const r = await run((out) => main(['migrate', '--json'], out));
      assert.equal(r.code, 0, r.err);
      assert.equal((JSON.parse(r.out) as { database: string }).database, `sqlite:${join(dir, 'from-file.db')}`);
    } finally {
      if (saved.url === undefined) delete process.env.SHOUQUAN_DATABASE_URL;
      else process.env.SHOUQUAN_DATABASE_URL = saved.url;
      if (saved.file === undefined) delete process.env.SHOUQUAN_DATABASE_URL_FILE;
      else process.env.SHOUQUAN_DATABASE_URL_FILE = saved.file;
    }
  });

  it('config print refuses a bad setting as serve would (exit 2); "config" alone prints its usage', async () => {
    const r = await run((out) => main(['config', 'print', '--port', 'x'], out));
    assert.equal(r.code, 2);
    assert.equal(r.err, 'shouquan: --port must be a number from 0 to 65535, got "x"');
    const bare = await run((out) => main(['config'], out));
    assert.equal(bare.code, 2);
    assert.match(bare.out, /^Usage: shouquan config print/);
    assert.equal((await run((out) => main(['config', 'print', '--help'], out))).code, 0);
  });
});
