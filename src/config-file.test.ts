import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SERVE_SETTINGS } from './config.js';
import {
  effectiveSettings,
  loadConfigFile,
  loadServeConfig,
  parseJsonWithLines,
  serveConfigSchema,
} from './config-file.js';

/** A fake file system for the config and secret files. */
const files = (entries: Record<string, string>) => (p: string) => {
  if (!(p in entries)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return entries[p]!;
};

describe('--config FILE (JSON or TOML)', () => {
  it('the schema has one property per serve setting (but config itself) and refuses others', () => {
    const schema = serveConfigSchema() as {
      additionalProperties: boolean;
      properties: Record<string, { type?: string }>;
    };
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(
      Object.keys(schema.properties),
      SERVE_SETTINGS.map(([f]) => f as string).filter((f) => f !== 'config'),
    );
    assert.equal(schema.properties.port?.type, 'integer');
    assert.equal(schema.properties.sandbox?.type, 'boolean');
    assert.equal(schema.properties.host?.type, 'string');
  });

  it('reads TOML and JSON into the text a flag would carry', () => {
    const toml = loadConfigFile(
      's.toml',
      files({
        's.toml':
          '# comment\nport = 8080\n"trust-proxy" = ["10.0.0.1", "10.0.0.2"]\nsandbox = false\nworkers = "auto"\n',
      }),
    );
    assert.deepEqual(toml.values, {
      port: '8080',
      'trust-proxy': '10.0.0.1,10.0.0.2',
      sandbox: 'false',
      workers: 'auto',
    });
    assert.deepEqual(toml.lines, { port: 2, 'trust-proxy': 3, sandbox: 4, workers: 5 });
    const json = loadConfigFile(
      's.json',
      files({ 's.json': '{\n  "host": "0.0.0.0",\n\n  "call-retention": 14\n}\n' }),
    );
    assert.deepEqual(json.values, { host: '0.0.0.0', 'call-retention': '14' });
    assert.deepEqual(json.lines, { host: 2, 'call-retention': 4 });
  });

  it('says where a file is malformed: line and column', () => {
    const load = (name: string, text: string) => () => loadConfigFile(name, files({ [name]: text }));
    assert.throws(load('a.json', '{\n  "port": 8080,\n  "host": \n}'), {
      message: 'a.json:4:1: expected a value, found "}"',
    });
    assert.throws(load('a.json', '{\n  "port": 8080,\n}'), {
      message: 'a.json:3:1: a comma before "}" (JSON allows no trailing comma)',
    });
    assert.throws(load('a.json', '{"port": 1,\n"port": 2}'), { message: 'a.json:2:1: "port" is given twice' });
    assert.throws(load('a.json', '{\n  "host": "x\n"}'), /^Error: a\.json:2:13: a control character/);
    assert.throws(load('a.toml', 'port = 8080\nhost = = "x"\n'), { message: 'a.toml:2:8: invalid value' });
    assert.throws(load('a.yaml', 'port: 1'), /must end in \.json or \.toml/);
    assert.throws(() => loadConfigFile('gone.toml', files({})), {
      message: '--config gone.toml: cannot read it (ENOENT)',
    });
    assert.throws(load('a.json', '[1]'), {
      message: "a.json:1: the file must hold one object of settings (keys are serve's flag names)",
    });
  });

  it('refuses unknown keys and wrong types, with the line', () => {
    const load = (name: string, text: string) => () => loadConfigFile(name, files({ [name]: text }));
    assert.throws(load('a.toml', 'port = 1\nprot = 2\n'), {
      message:
        'a.toml:2: unknown setting "prot" (did you mean "port"?); the keys are serve\'s flag names without "--" ("shouquan serve --help")',
    });
    assert.throws(
      load('a.toml', 'log_level = "debug"\n'),
      /a\.toml:1: unknown setting "log_level" \(did you mean "log-level"\?\)/,
    );
    assert.throws(load('a.json', '{\n "port": "8080"\n}'), {
      message: 'a.json:2: port must be a whole number (not in quotes), got "8080"',
    });
    assert.throws(load('a.toml', 'host = "h"\nsandbox = "yes"\n'), {
      message: 'a.toml:2: sandbox must be true or false, got "yes"',
    });
    assert.throws(load('a.toml', '[server]\nport = 1\n'), {
      message:
        'a.toml:1: unknown setting "server"; the keys are serve\'s flag names without "--" ("shouquan serve --help")',
    });
    assert.throws(load('a.toml', 'workers = 0\n'), /a\.toml:1: workers must be a whole number or "auto"/);
    assert.throws(load('a.toml', 'config = "other.toml"\n'), {
      message: 'a.toml:1: "config" cannot be set in a config file',
    });
  });

  it('never takes a secret from the file, only a *-file path to one', () => {
    const load = (text: string) => () => loadConfigFile('s.toml', files({ 's.toml': text }));
    assert.throws(load('port = 1\ndatabase = "postgres://shouquan:hunter2@db/shouquan"\n'), (e: Error) => {
      assert.match(
        e.message,
        /^s\.toml:2: "database" carries a password, and a config file never holds secrets: put the whole URL in a file and set database-url-file = "PATH"/,
      );
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
    assert.throws(
      load('database = "postgres://db/shouquan?user=u&password=p"\n'),
      /s\.toml:1: "database" carries a password/,
    );
    assert.throws(load('redis = "redis://:pw@cache:6379"\n'), /s\.toml:1: "redis" carries a password.*redis-url-file/);
    assert.throws(load('seller-directory-secret = "k"\n'), {
      message:
        's.toml:1: "seller-directory-secret" is a secret, and a config file never holds secrets: set seller-directory-secret-file = "PATH" (a file holding the secret) or the environment variable SHOUQUAN_SELLER_DIRECTORY_SECRET',
    });
    assert.throws(load('admin-password = "k"\n'), /s\.toml:1: "admin-password" is a secret/);
    // A URL without a password, and the *-file settings, are fine.
    assert.equal(
      loadConfigFile(
        's.toml',
        files({ 's.toml': 'database = "postgres://shouquan@db/shouquan"\ndatabase-url-file = "/run/secrets/db"\n' }),
      ).values['database-url-file'],
      '/run/secrets/db',
    );
  });

  it('precedence: flag, then environment, then file, then default; SHOUQUAN_CONFIG names the file', () => {
    const fs = files({ 's.toml': 'port = 8001\nhost = "0.0.0.0"\nlog-level = "warn"\n"call-retention" = 9\n' });
    const { config, file } = loadServeConfig(
      { port: '8003' },
      { SHOUQUAN_CONFIG: 's.toml', SHOUQUAN_HOST: '127.0.0.2', SHOUQUAN_PORT: '8002' },
      fs,
    );
    assert.equal(config.port, 8003, 'the flag wins');
    assert.equal(config.host, '127.0.0.2', 'then the variable');
    assert.equal(config.logLevel, 'warn', 'then the file');
    assert.equal(config.callRetentionDays, 9);
    assert.equal(config.requestTimeout, 30, 'then the default');
    const rows = Object.fromEntries(
      effectiveSettings(
        config,
        { port: '8003' },
        { SHOUQUAN_CONFIG: 's.toml', SHOUQUAN_HOST: '127.0.0.2', SHOUQUAN_PORT: '8002' },
        file,
      ).map((r) => [r.setting, r]),
    );
    assert.deepEqual(rows.port, { setting: 'port', env: 'SHOUQUAN_PORT', value: 8003, source: 'flag' });
    assert.deepEqual(rows.host, { setting: 'host', env: 'SHOUQUAN_HOST', value: '127.0.0.2', source: 'env' });
    assert.deepEqual(rows['log-level'], {
      setting: 'log-level',
      env: 'SHOUQUAN_LOG_LEVEL',
      value: 'warn',
      source: 'file',
      line: 3,
    });
    assert.deepEqual(rows['request-timeout'], {
      setting: 'request-timeout',
      env: 'SHOUQUAN_REQUEST_TIMEOUT',
      value: 30,
      source: 'default',
    });
    assert.deepEqual(rows.config, { setting: 'config', env: 'SHOUQUAN_CONFIG', value: 's.toml', source: 'env' });
    // --config wins over SHOUQUAN_CONFIG.
    assert.throws(
      () => loadServeConfig({ config: 'other.toml' }, { SHOUQUAN_CONFIG: 's.toml' }, fs),
      /--config other\.toml: cannot read it/,
    );
  });

  it("a value from the file that serve refuses is reported at the file's line", () => {
    const fs = files({ 's.toml': 'port = 8001\n\nissuer = "not a url"\n' });
    assert.throws(() => loadServeConfig({}, { SHOUQUAN_CONFIG: 's.toml' }, fs), {
      message: 's.toml:3: issuer must be an absolute URL, got "not a url"',
    });
    // The same value from a flag keeps the flag's wording.
    assert.throws(() => loadServeConfig({ issuer: 'nope' }, {}, fs), {
      message: '--issuer must be an absolute URL, got "nope"',
    });
    assert.throws(
      () => loadServeConfig({}, { SHOUQUAN_CONFIG: 'w.json' }, files({ 'w.json': '{"workers": 2}' })),
      /^Error: w\.json:1: workers above 1 needs PostgreSQL/,
    );
  });

  it('reads secrets from *-file settings, masks them, and refuses both forms at once', () => {
    const fs = files({
      's.toml':
        'database-url-file = "/run/secrets/db"\nseller-directory = "https://accounts.example.com/auth"\nseller-directory-secret-file = "/run/secrets/dir"\n',
    });
    const secrets: Record<string, string> = {
      '/run/secrets/db': 'postgres://shouquan:hunter2@db:5432/shouquan\n',
      '/run/secrets/dir': 'directory-key\n',
    };
    const read = (p: string) => (p in secrets ? secrets[p]! : fs(p));
    const env = { SHOUQUAN_CONFIG: 's.toml' };
    // resolveServeConfig reads the secret files with node:fs: give it real files.
    return (async () => {
      const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(join(tmpdir(), 'shouquan-config-'));
      try {
        for (const [p, v] of Object.entries(secrets)) writeFileSync(join(dir, p.split('/').pop()!), v);
        const real = (p: string) => read(p).replaceAll('/run/secrets/', `${dir}/`);
        const { config, file } = loadServeConfig({}, env, real);
        assert.equal(config.databaseUrl, 'postgres://shouquan:hunter2@db:5432/shouquan');
        assert.equal(config.sellerDirectory?.secret, 'directory-key');
        const rows = Object.fromEntries(effectiveSettings(config, {}, env, file).map((r) => [r.setting, r]));
        assert.deepEqual(rows.database, {
          setting: 'database',
          env: 'SHOUQUAN_DATABASE_URL',
          value: 'postgres://shouquan:***@db:5432/shouquan',
          source: 'file',
          line: 1,
          via: 'database-url-file',
        });
        assert.deepEqual(rows['seller-directory-secret'], {
          setting: 'seller-directory-secret',
          env: 'SHOUQUAN_SELLER_DIRECTORY_SECRET',
          value: '***',
          source: 'file',
          line: 3,
          via: 'seller-directory-secret-file',
        });
        assert.doesNotMatch(JSON.stringify(rows), /hunter2|directory-key/);
        assert.throws(() => loadServeConfig({ database: 'sqlite::memory:' }, env, real), {
          message: '--database and --database-url-file are both given (flag, environment or config file): keep one',
        });
        assert.throws(
          () => loadServeConfig({}, { ...env, SHOUQUAN_SELLER_DIRECTORY_SECRET: 'x' }, real),
          /SHOUQUAN_SELLER_DIRECTORY_SECRET and --seller-directory-secret-file are both given/,
        );
        assert.throws(
          () => loadServeConfig({ 'database-url-file': join(dir, 'none') }, {}),
          /--database-url-file: cannot read ".*none" \(ENOENT\)/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    })();
  });

  it('the JSON reader matches JSON.parse on valid documents', () => {
    for (const doc of ['{}', '{"a":[1,2.5,-3e2,true,false,null,"x\\"y\\u00e9"],"b":{"c":{}}}', ' { "k" : "v" } ']) {
      assert.deepEqual(parseJsonWithLines(doc, 'x.json').value, JSON.parse(doc));
    }
  });
});
