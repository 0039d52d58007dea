import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.js';
import { openStorage } from '../src/runtime.js';
import { freshSqlite } from './helpers/databases.js';

describe('CLI: app create --status and operator create', () => {
  const db = freshSqlite();
  after(() => db.cleanup());
  const run = runCli;

  it('keeps creating live apps unless --status testing is given', async () => {
    assert.equal((await run('migrate', '--database', db.url)).code, 0);
    const live = await run(
      'app',
      'create',
      '--name',
      'Script App',
      '--callback',
      'https://a.example/cb',
      '--database',
      db.url,
      '--json',
    );
    assert.equal(live.code, 0, live.err);
    const testing = await run(
      'app',
      'create',
      '--name',
      'Test App',
      '--callback',
      'https://a.example/cb',
      '--status',
      'testing',
      '--database',
      db.url,
      '--json',
    );
    assert.equal(testing.code, 0, testing.err);
    const storage = await openStorage(db.url);
    try {
      assert.equal((await storage.apps.find(JSON.parse(live.out).app_key))?.status, 'live');
      assert.equal((await storage.apps.find(JSON.parse(testing.out).app_key))?.status, 'testing');
    } finally {
      await storage.close();
    }
    const bad = await run(
      'app',
      'create',
      '--name',
      'X',
      '--callback',
      'https://a.example/cb',
      '--status',
      'gone',
      '--database',
      db.url,
    );
    assert.equal(bad.code, 2);
    assert.equal(bad.err, 'shouquan: --status must be live, testing, submitted or suspended');
  });

  it('creates operators, refusing a taken name and a short password', async () => {
    const ok = await run(
      'operator',
      'create',
      '--username',
      'ops',
      '--password',
      'operator password',
      '--database',
      db.url,
      '--json',
    );
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(Object.keys(JSON.parse(ok.out)), ['operator_id', 'username']);
    const again = await run(
      'operator',
      'create',
      '--username',
      'ops',
      '--password',
      'operator password',
      '--database',
      db.url,
    );
    assert.equal(again.code, 1);
    assert.equal(again.err, 'shouquan: username "ops" is already taken');
    const short = await run('operator', 'create', '--username', 'ops2', '--password', 'short', '--database', db.url);
    assert.equal(short.code, 1);
    assert.equal(short.err, 'shouquan: --password must be at least 8 characters');
    const help = await run('operator', 'create', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /^Usage: shouquan operator create --username U --password P/);
  });
});
