import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { main } from '../src/cli/main.js';
import { loadGatewayOptions } from '../src/gateway/cli.js';
import { freshSqlite } from './helpers/databases.js';

function capture() {
  const lines: string[] = [];
  const errs: string[] = [];
  return { out: { log: (s: string) => lines.push(s), err: (s: string) => errs.push(s) }, lines, errs };
}

describe('shouquan app gateway', () => {
  const db = freshSqlite();
  after(() => db.cleanup());

  it("shows and changes an app's gateway settings", async () => {
    const c = capture();
    assert.equal(await main(['migrate', '--database', db.url], c.out), 0);
    assert.equal(
      await main(
        ['app', 'create', '--name', 'ERP', '--callback', 'https://erp.example.com/cb', '--database', db.url, '--json'],
        c.out,
      ),
      0,
    );
    const appKey = JSON.parse(c.lines.at(-1)!).app_key as string;

    const show = capture();
    assert.equal(await main(['app', 'gateway', '--app-key', appKey, '--database', db.url, '--json'], show.out), 0);
    assert.deepEqual(JSON.parse(show.lines[0]!), {
      app_key: appKey,
      signing_secret_on_file: true,
      webhook_url: null,
      permissions: ['*'],
      quota_per_day: 'default',
      quota_per_second: 'default',
      receiver_quota_per_day: 'default',
      fragment_redirect: 'profile',
      client_side_flow_used_at: null,
    });

    const set = capture();
    const code = await main(
      [
        'app',
        'gateway',
        '--app-key',
        appKey,
        '--webhook',
        'https://erp.example.com/events',
        '--permissions',
        'read,orders',
        '--quota-day',
        '5000',
        '--quota-second',
        '10',
        '--receiver-quota-day',
        '50',
        '--database',
        db.url,
        '--json',
      ],
      set.out,
    );
    assert.equal(code, 0, set.errs.join('\n'));
    assert.deepEqual(JSON.parse(set.lines[0]!), {
      app_key: appKey,
      signing_secret_on_file: true,
      webhook_url: 'https://erp.example.com/events',
      permissions: ['read', 'orders'],
      quota_per_day: 5000,
      quota_per_second: 10,
      receiver_quota_per_day: 50,
      fragment_redirect: 'profile',
      client_side_flow_used_at: null,
    });
    assert.deepEqual(set.errs, []);

    const typo = capture();
    assert.equal(
      await main(
        ['app', 'gateway', '--app-key', appKey, '--permissions', 'ordres.read', '--database', db.url, '--json'],
        typo.out,
      ),
      0,
    );
    assert.deepEqual(typo.errs, [
      'shouquan: note: no built-in method needs the permission package "ordres" (built-in: orders, products, store); fine if an upstream method in --gateway-config does',
    ]);

    const bad = capture();
    assert.equal(
      await main(['app', 'gateway', '--app-key', appKey, '--quota-day', 'lots', '--database', db.url], bad.out),
      1,
    );
    assert.equal(bad.errs[0], 'shouquan: --quota-day must be a whole number greater than 0 or "default", got "lots"');
    const unknown = capture();
    assert.equal(await main(['app', 'gateway', '--app-key', '99999999', '--database', db.url], unknown.out), 1);
    assert.equal(unknown.errs[0], 'shouquan: no app with app_key 99999999');
  });

  it('reads a gateway settings file and names what is wrong', () => {
    const dir = dirname(db.url.slice('sqlite:'.length));
    const good = join(dir, 'gateway.json');
    writeFileSync(
      good,
      JSON.stringify({ upstreams: { 'shouquan.orders.list': 'http://erp.internal/orders' }, defaultQuotaPerDay: 10 }),
    );
    assert.deepEqual(loadGatewayOptions(good), {
      upstreams: { 'shouquan.orders.list': 'http://erp.internal/orders' },
      defaultQuotaPerDay: 10,
    });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '[1]');
    assert.throws(() => loadGatewayOptions(bad), /must be a JSON object/);
    assert.throws(() => loadGatewayOptions(join(dir, 'missing.json')), /cannot read gateway settings/);
  });
});
