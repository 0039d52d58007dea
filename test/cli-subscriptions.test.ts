// `shouquan subscription …` and `app create|update --require-subscription` (issue 16 §1, docs/adr/0140):
// the management API's JSON, usage errors (exit 2) and refusals (exit 1).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from './helpers/cli.js';
import { testDialects, type TestDatabase } from './helpers/databases.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const dialect of await testDialects()) {
  describe(`CLI subscription commands (${dialect.name})`, { skip: dialect.skip }, () => {
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

    it('app create --require-subscription --purchase-url; app update and show', async () => {
      const app = await json(
        'app',
        'create',
        '--name',
        'ERP',
        '--callback',
        'https://erp.example.com/cb',
        '--require-subscription',
        '--purchase-url',
        'https://market.example.com/erp',
      );
      assert.deepEqual([app.require_subscription, app.purchase_url], [true, 'https://market.example.com/erp']);
      const shown = await json('app', 'show', '--app-key', app.app_key);
      assert.deepEqual([shown.require_subscription, shown.purchase_url], [true, 'https://market.example.com/erp']);
      const off = await json(
        'app',
        'update',
        '--app-key',
        app.app_key,
        '--require-subscription',
        'no',
        '--purchase-url',
        'none',
      );
      assert.deepEqual([off.require_subscription, off.purchase_url], [false, null]);
      const on = await json('app', 'update', '--app-key', app.app_key, '--require-subscription', 'yes');
      assert.equal(on.require_subscription, true);
      const bad = await run(
        'app',
        'create',
        '--name',
        'X',
        '--callback',
        'https://x.example/cb',
        '--purchase-url',
        'market',
        '--database',
        url,
      );
      assert.deepEqual(
        [bad.code, bad.err],
        [2, 'shouquan: purchase_url "market" must be an absolute http or https URL'],
      );
      const badFlag = await run(
        'app',
        'update',
        '--app-key',
        app.app_key,
        '--require-subscription',
        'maybe',
        '--database',
        url,
      );
      assert.deepEqual(
        [badFlag.code, badFlag.err],
        [2, 'shouquan: --require-subscription must be yes or no, got "maybe"'],
      );
    });

    it('subscription create, show, list, renew, cancel answer the API’s JSON', async () => {
      const app = await json(
        'app',
        'create',
        '--name',
        'Paid',
        '--callback',
        'https://paid.example.com/cb',
        '--require-subscription',
      );
      const seller = await json(
        'seller',
        'create',
        '--username',
        'shop-cli',
        '--password',
        'long enough password',
        '--store',
        'Main',
      );
      const sellerId = String(seller.seller_id);
      const created = await json(
        'subscription',
        'create',
        '--app-key',
        app.app_key,
        '--seller-id',
        sellerId,
        '--expires-at',
        '2099-01-01T08:00:00+08:00',
        '--plan',
        'basic',
      );
      const { subscription_id, created_at, updated_at, ...rest } = created;
      assert.match(subscription_id, /^sub_[A-Za-z0-9_-]+$/);
      assert.match(created_at, ISO);
      assert.equal(updated_at, created_at);
      assert.deepEqual(rest, {
        app_key: app.app_key,
        seller_id: sellerId,
        plan: 'basic',
        status: 'active',
        expires_at: '2099-01-01T00:00:00.000Z',
        cancelled_at: null,
      });
      assert.deepEqual(await json('subscription', 'show', '--subscription-id', subscription_id), created);
      const twice = await run(
        'subscription',
        'create',
        '--app-key',
        app.app_key,
        '--seller-id',
        sellerId,
        '--expires-at',
        '2099-06-01T00:00:00Z',
        '--database',
        url,
      );
      assert.equal(twice.code, 1);
      assert.equal(
        twice.err,
        `shouquan: seller ${sellerId} already has an active subscription to app ${app.app_key} (${subscription_id}, until 2099-01-01T00:00:00.000Z): renew it instead`,
      );
      const renewed = await json(
        'subscription',
        'renew',
        '--subscription-id',
        subscription_id,
        '--expires-at',
        '2100-01-01T00:00:00Z',
      );
      assert.equal(renewed.expires_at, '2100-01-01T00:00:00.000Z');
      assert.deepEqual(await json('subscription', 'list', '--app-key', app.app_key, '--status', 'active'), {
        items: [renewed],
        next_cursor: null,
      });
      const cancelled = await json('subscription', 'cancel', '--subscription-id', subscription_id);
      assert.equal(cancelled.status, 'cancelled');
      assert.match(cancelled.cancelled_at, ISO);
      assert.deepEqual(await json('subscription', 'list', '--seller-id', sellerId, '--status', 'active'), {
        items: [],
        next_cursor: null,
      });
      const renewCancelled = await run(
        'subscription',
        'renew',
        '--subscription-id',
        subscription_id,
        '--expires-at',
        '2101-01-01T00:00:00Z',
        '--database',
        url,
      );
      assert.equal(renewCancelled.code, 1);
      assert.match(renewCancelled.err, /^shouquan: subscription sub_\S+ was cancelled at .+; record a new one$/);
    });

    it('usage errors exit 2 and name the problem; unknown ids exit 1', async () => {
      assert.deepEqual(await run('subscription', 'create', '--app-key', 'x', '--database', url), {
        code: 2,
        out: '',
        err: 'shouquan: --seller-id is required',
      });
      const noZone = await run(
        'subscription',
        'create',
        '--app-key',
        'x',
        '--seller-id',
        '1',
        '--expires-at',
        '2099-01-01',
        '--database',
        url,
      );
      assert.deepEqual(noZone, {
        code: 2,
        out: '',
        err: 'shouquan: expires_at must be an ISO 8601 time with a zone, like 2027-01-01T00:00:00Z, got "2099-01-01"',
      });
      const missing = await run('subscription', 'cancel', '--subscription-id', 'sub_nope', '--database', url);
      assert.deepEqual(missing, { code: 1, out: '', err: 'shouquan: no subscription with subscription_id sub_nope' });
      const help = await run('subscription', 'create', '--help');
      assert.equal(help.code, 0);
      assert.match(help.out, /^Usage: shouquan subscription create --app-key KEY --seller-id ID --expires-at TIME/);
      const group = await run('help', 'subscription');
      assert.ok(
        ['create', 'renew', 'cancel', 'list', 'show'].every((sub) =>
          group.out.includes(`Usage: shouquan subscription ${sub}`),
        ),
      );
    });
  });
}

describe('serve --subscription-expiring-days', () => {
  it('comes from a flag, the environment or a config file; config print shows it; a bad value is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shouquan-subs-'));
    try {
      const file = join(dir, 's.toml');
      writeFileSync(file, 'subscription-expiring-days = 5\n');
      const printed = await run('config', 'print', '--config', file, '--json');
      assert.equal(printed.code, 0, printed.err);
      assert.deepEqual(JSON.parse(printed.out).settings['subscription-expiring-days'], {
        value: 5,
        source: 'file',
        env: 'SHOUQUAN_SUBSCRIPTION_EXPIRING_DAYS',
        line: 1,
      });
      const flag = JSON.parse((await run('config', 'print', '--subscription-expiring-days', '3', '--json')).out)
        .settings['subscription-expiring-days'];
      assert.deepEqual([flag.value, flag.source], [3, 'flag']);
      const bad = await run('serve', '--subscription-expiring-days', '0', '--database', `sqlite:${join(dir, 'x.db')}`);
      assert.deepEqual(bad, {
        code: 2,
        out: '',
        err: 'shouquan: --subscription-expiring-days must be a whole number of days from 1 to 90, got "0"',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
