// CLI parity with the management API (issue 14): app, seller, grant, audit and operator token commands.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runCli as run } from './helpers/cli.js';
import { sha256 } from '../src/crypto/tokens.js';
import { openStorage } from '../src/runtime.js';
import { testDialects, type TestDatabase } from './helpers/databases.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const dialect of await testDialects()) {
  describe(`CLI management commands (${dialect.name})`, { skip: dialect.skip }, () => {
    let db: TestDatabase;
    let url = '';
    const json = async (...argv: string[]) => {
      const r = await run(...argv, '--database', url, '--json');
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out);
    };
    before(async () => {
      db = await dialect.fresh();
      url = db.url;
      assert.equal((await run('migrate', '--database', url)).code, 0);
    });
    after(async () => db?.cleanup());

    it('operator token create prints {"token"} once, stores only its hash; list and revoke', async () => {
      const created = await json('operator', 'token', 'create', '--name', 'ci', '--read-only');
      assert.deepEqual(Object.keys(created), ['token']);
      assert.match(created.token, /^sqo_[A-Za-z0-9_-]{43}$/);
      const storage = await openStorage(url);
      try {
        const found = await storage.management.findOperatorToken(sha256(created.token));
        assert.deepEqual([found?.name, found?.readOnly], ['ci', true]);
      } finally {
        await storage.close();
      }
      const listed = await json('operator', 'token', 'list');
      assert.equal(listed.items.length, 1);
      const t = listed.items[0];
      assert.deepEqual(
        { ...t, created_at: 'x' },
        {
          token_id: t.token_id,
          name: 'ci',
          read_only: true,
          created_at: 'x',
          created_by: 'cli',
          last_used_at: null,
          revoked_at: null,
        },
      );
      assert.ok(!JSON.stringify(listed).includes(created.token.slice(4)), 'the value is never listed');
      const taken = await run('operator', 'token', 'create', '--name', 'ci', '--database', url);
      assert.deepEqual(
        [taken.code, taken.err],
        [1, 'shouquan: a live token named "ci" exists already; revoke it or choose another name'],
      );
      const revoked = await json('operator', 'token', 'revoke', '--id', t.token_id);
      assert.match(revoked.revoked_at, ISO);
      const again = await run('operator', 'token', 'revoke', '--id', t.token_id, '--database', url);
      assert.deepEqual([again.code, again.err], [1, `shouquan: no live operator token with token_id ${t.token_id}`]);
    });

    it('app list, show, update and rotate-secret answer the API’s JSON', async () => {
      const a = await json(
        'app',
        'create',
        '--name',
        'CLI Parity App',
        '--callback',
        'https://cli.example.com/cb',
        '--status',
        'testing',
      );
      await json('app', 'create', '--name', 'Another One', '--callback', 'https://cli.example.com/cb');
      const page = await json('app', 'list', '--limit', '1');
      assert.equal(page.items.length, 1);
      assert.equal(typeof page.next_cursor, 'string');
      const rest = await json('app', 'list', '--cursor', page.next_cursor);
      assert.deepEqual([rest.items.length, rest.next_cursor], [1, null]);
      assert.deepEqual(
        (await json('app', 'list', '--status', 'testing')).items.map((x: { name: string }) => x.name),
        ['CLI Parity App'],
      );
      assert.deepEqual(
        (await json('app', 'list', '--q', 'parity')).items.map((x: { app_key: string }) => x.app_key),
        [a.app_key],
      );

      const shown = await json('app', 'show', '--app-key', a.app_key);
      assert.deepEqual(
        { ...shown, created_at: 'x' },
        {
          app_key: a.app_key,
          name: 'CLI Parity App',
          status: 'testing',
          callbacks: ['https://cli.example.com/cb'],
          scopes: ['seller'],
          permissions: null,
          quota_per_day: null,
          quota_per_second: null,
          receiver_quota_per_day: null,
          webhook_url: null,
          topics: [],
          description: null,
          logo_url: null,
          developer_id: null,
          created_at: 'x',
          previous_secret_expires_at: null,
          require_subscription: false,
          purchase_url: null,
        },
      );
      const updated = await json(
        'app',
        'update',
        '--app-key',
        a.app_key,
        '--callback',
        'https://cli.example.com/new',
        '--callback',
        'https://cli.example.com/cb2',
        '--status',
        'live',
        '--permissions',
        'orders.read,store',
        '--quota-day',
        '1000',
        '--receiver-quota-day',
        '20',
      );
      assert.deepEqual(
        [updated.callbacks, updated.status, updated.permissions, updated.quota_per_day, updated.receiver_quota_per_day],
        [['https://cli.example.com/new', 'https://cli.example.com/cb2'], 'live', ['orders.read', 'store'], 1000, 20],
      );
      const bad = await run(
        'app',
        'update',
        '--app-key',
        a.app_key,
        '--callback',
        'https://x.example/cb#f',
        '--database',
        url,
      );
      assert.deepEqual(
        [bad.code, bad.err],
        [2, 'shouquan: callback "https://x.example/cb#f" may not contain a fragment (RFC 6749 §3.1.2)'],
      );
      const nothing = await run('app', 'update', '--app-key', a.app_key, '--database', url);
      assert.equal(nothing.code, 2);
      const missing = await run('app', 'show', '--app-key', '12345678', '--database', url);
      assert.deepEqual([missing.code, missing.err], [1, 'shouquan: no app with app_key 12345678']);
      const rotated = await json('app', 'rotate-secret', '--app-key', a.app_key, '--overlap-hours', '1');
      assert.deepEqual(Object.keys(rotated), ['app_key', 'app_secret', 'client_secret', 'previous_secret_expires_at']);
      const audit = await json('audit', 'list', '--action', 'app.*', '--actor', 'cli');
      assert.deepEqual(audit.items.map((e: { action: string }) => e.action).slice(0, 2), [
        'app.secret_rotated',
        'app.updated',
      ]);
      assert.deepEqual(audit.items[1].detail, {
        changed: ['callbacks', 'status', 'permissions', 'quotaPerDay', 'receiverQuotaPerDay'],
        from: 'testing',
        to: 'live',
      });
    });

    it('seller list, show and update; grant list and revoke', async () => {
      const created = await run(
        'seller',
        'create',
        '--username',
        'cli-seller',
        '--password',
        'cli seller password',
        '--store',
        'Main Store',
        '--database',
        url,
        '--json',
      );
      const { seller_id, stores } = JSON.parse(created.out);
      const id = String(seller_id);
      const listed = await json('seller', 'list', '--q', 'CLI-');
      assert.deepEqual(
        listed.items.map((x: { seller_id: string }) => x.seller_id),
        [id],
      );
      const disabled = await json(
        'seller',
        'update',
        '--seller-id',
        id,
        '--disable',
        '--add-store',
        'Outlet',
        '--rename-store',
        `${stores[0].store_id}=Main Store (HQ)`,
      );
      assert.equal(disabled.disabled, true);
      assert.deepEqual(
        disabled.stores.map((x: { name: string }) => x.name),
        ['Main Store (HQ)', 'Outlet'],
      );
      assert.deepEqual(await json('seller', 'show', '--seller-id', id), disabled);
      const enabled = await json('seller', 'update', '--seller-id', id, '--enable');
      assert.deepEqual([enabled.disabled, enabled.disabled_at], [false, null]);
      const both = await run('seller', 'update', '--seller-id', id, '--enable', '--disable', '--database', url);
      assert.equal(both.code, 2);

      // A grant, planted as the token endpoint would leave it.
      const storage = await openStorage(url);
      const apps = await storage.apps.list({ limit: 1 });
      try {
        await storage.grants.createWithTokens({
          now: Date.now(),
          grant: {
            grantId: 'cli-grant-1',
            appKey: apps[0]!.appKey,
            sellerId: Number(id),
            storeId: Number(stores[0].store_id),
            scope: ['seller'],
            createdAt: Date.now(),
            revokedAt: null,
            revokedReason: null,
          },
          tokens: [
            {
              tokenHash: sha256('cli-access'),
              kind: 'access',
              grantId: 'cli-grant-1',
              appKey: apps[0]!.appKey,
              scope: ['seller'],
              createdAt: Date.now(),
              expiresAt: Date.now() + 3600_000,
              revokedAt: null,
              rotatedAt: null,
            },
          ],
        });
      } finally {
        await storage.close();
      }
      const grants = await json('grant', 'list', '--seller-id', id);
      assert.deepEqual(
        grants.items.map((g: { grant_id: string; status: string }) => [g.grant_id, g.status]),
        [['cli-grant-1', 'live']],
      );
      const revoked = await json('grant', 'revoke', '--grant-id', 'cli-grant-1');
      assert.deepEqual([revoked.status, revoked.revoked_reason], ['revoked', 'revoked_by_operator']);
      const after = await openStorage(url);
      try {
        assert.notEqual(
          (await after.tokens.find(sha256('cli-access')))?.grant.revokedAt,
          null,
          'its token is inactive',
        );
      } finally {
        await after.close();
      }
      const gone = await run('grant', 'revoke', '--grant-id', 'nope', '--database', url);
      assert.deepEqual([gone.code, gone.err], [1, 'shouquan: no grant with grant_id nope']);
      const since = await json(
        'audit',
        'list',
        '--action',
        'grant.revoked',
        '--since',
        new Date(Date.now() - 60_000).toISOString(),
      );
      assert.deepEqual(
        since.items.map((e: { actor: string; subject: string }) => [e.actor, e.subject]),
        [['cli', 'cli-grant-1']],
      );
    });

    it('every new command has --help, and the groups list their subcommands', async () => {
      for (const cmd of [
        'app list',
        'app show',
        'app update',
        'app rotate-secret',
        'seller list',
        'seller show',
        'seller update',
        'grant list',
        'grant revoke',
        'audit list',
        'operator token create',
        'operator token list',
        'operator token revoke',
      ]) {
        const r = await run(...cmd.split(' '), '--help');
        assert.equal(r.code, 0, cmd);
        assert.ok(r.out.startsWith(`Usage: shouquan ${cmd} `), `${cmd}: ${r.out.slice(0, 80)}`);
        assert.match(r.out, /--json/, cmd);
        assert.equal((await run('help', ...cmd.split(' '))).out, r.out);
      }
      const group = await run('grant', '--help');
      assert.match(group.out, /shouquan grant list[\s\S]*shouquan grant revoke/);
      const tokens = await run('operator', 'token', '--help');
      assert.match(tokens.out, /^Usage: shouquan operator token create/);
      const top = await run('--help');
      for (const line of [
        'app list|show|update',
        'seller list|show|update',
        'grant list|revoke',
        'audit list',
        'operator token create|list|revoke',
      ])
        assert.ok(top.out.includes(`\n  ${line} `), line);
    });
  });
}
