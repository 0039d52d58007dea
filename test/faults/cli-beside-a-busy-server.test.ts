import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliEntry } from '../helpers/processes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * An operator's one-shot command against the SQLite file a running server writes to (docs/adr/0050): the command's
 * transaction must wait for the server's write lock, not fail with "database is locked". With a deferred BEGIN it
 * read first and then failed at once when the server had committed in between (SQLITE_BUSY_SNAPSHOT), which the
 * busy timeout does not cover; seen as a flaky `app rotate-secret` in test/gateway-secret-rotation.test.ts.
 */
describe('CLI commands beside a server that keeps writing (sqlite)', () => {
  let s: TestServer;
  let writing = true;
  let writer: Promise<void> = Promise.resolve();
  before(async () => {
    s = await startTestServer({ gateway: { webhookPollMs: 0 } });
    // The server's own writes, back to back, as under load (shared counters: one upsert each).
    writer = (async () => {
      let i = 0;
      while (writing) {
        await s.core.storage.limits.add(`busy:${i++ % 50}`, 1, Date.now() + 60_000, Date.now());
        if (i % 20 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
  });
  after(async () => {
    writing = false;
    await writer;
    await s?.close();
  });

  it('app rotate-secret and app update succeed every time', async () => {
    const run = (...args: string[]) =>
      cliEntry().then((entry) =>
        promisify(execFile)(process.execPath, [...entry, ...args, '--database', s.db.url, '--json']),
      );
    for (let n = 0; n < 6; n++) {
      const rotated = await run('app', 'rotate-secret', '--app-key', s.client.appKey, '--overlap-hours', '1');
      assert.match(JSON.parse(rotated.stdout).app_secret, /^[0-9a-f]{32}$/);
      const updated = await run('app', 'update', '--app-key', s.client.appKey, '--name', `Renamed ${n}`);
      assert.equal(JSON.parse(updated.stdout).name, `Renamed ${n}`);
    }
  });
});
