// Issue 17: per-app API metrics (calls, errors by code, latency) with bounded cardinality, read from /metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../src/apps/apps.js';
import { fillSandboxData } from '../src/gateway/sandbox-data.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { restCall, sellerTokens, topCall } from './helpers/gateway.js';

/** The samples of /metrics as "name{sorted labels}" -> value. */
async function scrape(s: TestServer): Promise<Map<string, number>> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => `${k}=${v}`).sort();
    out.set(`${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}
const key = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',')}}`;

describe('per-app API metrics', () => {
  let s: TestServer;
  let token: string;
  let second: { appKey: string; appSecret: string };
  let third: { appKey: string; appSecret: string };
  before(async () => {
    s = await startTestServer({
      gateway: { defaultQuotaPerSecond: 100_000, webhookPollMs: 0 },
      server: { metricsAppLimit: 2 },
    });
    await fillSandboxData(s.core.storage.gateway!, s.seller.stores, Date.now());
    token = (await sellerTokens(s, s.seller.stores[0]!.storeId)).access_token;
    second = await createApp(s.core.storage, s.core.secretKey, {
      name: 'Second',
      callbacks: ['https://two.example.com/cb'],
    });
    third = await createApp(s.core.storage, s.core.secretKey, {
      name: 'Third',
      callbacks: ['https://three.example.com/cb'],
    });
  });
  after(async () => s?.close());

  it('counts calls, errors by gateway code and latency per app and face; app labels stop at --metrics-app-limit', async () => {
    const app1 = s.client.appKey;
    assert.equal((await topCall(s, 'shouquan.store.get', {}, token)).status, 200);
    assert.ok((await topCall(s, 'shouquan.store.get', {}, token)).json.shouquan_store_get_response);
    assert.equal((await restCall(s, 'GET', '/api/v1/store/settings', token)).status, 200);
    // A wrong signature: an error of the known app.
    assert.equal((await topCall(s, 'shouquan.store.get', {}, token, { secret: 'wrong' })).json.error_response.code, 25);
    // Two more apps: the second gets its label, the third is past the limit of 2.
    const noMethod = { app_key: second.appKey };
    assert.equal(
      (await topCall(s, 'shouquan.no.such', {}, undefined, { override: noMethod, secret: second.appSecret })).json
        .error_response.code,
      22,
    );
    assert.equal(
      (
        await topCall(s, 'shouquan.no.such', {}, undefined, {
          override: { app_key: third.appKey },
          secret: third.appSecret,
        })
      ).json.error_response.code,
      22,
    );
    // Invented AppKeys and bad tokens never get a label of their own.
    for (const invented of ['99999991', '99999992']) {
      assert.equal(
        (await topCall(s, 'shouquan.store.get', {}, undefined, { override: { app_key: invented } })).json.error_response
          .code,
        29,
      );
    }
    assert.equal((await restCall(s, 'GET', '/api/v1/store/settings', 'not-a-token')).status, 401);

    const m = await scrape(s);
    assert.equal(m.get(key('shouquan_api_calls_total', { app_key: app1, face: 'router' })), 3);
    assert.equal(m.get(key('shouquan_api_calls_total', { app_key: app1, face: 'rest' })), 1);
    assert.equal(m.get(key('shouquan_api_errors_total', { app_key: app1, face: 'router', code: '25' })), 1);
    assert.equal(m.get(key('shouquan_api_calls_total', { app_key: second.appKey, face: 'router' })), 1);
    assert.equal(m.get(key('shouquan_api_errors_total', { app_key: second.appKey, face: 'router', code: '22' })), 1);
    assert.equal(m.get(key('shouquan_api_calls_total', { app_key: 'other', face: 'router' })), 1);
    assert.equal(m.get(key('shouquan_api_errors_total', { app_key: 'other', face: 'router', code: '22' })), 1);
    assert.equal(m.get(key('shouquan_api_calls_total', { app_key: 'unknown', face: 'router' })), 2);
    assert.equal(m.get(key('shouquan_api_errors_total', { app_key: 'unknown', face: 'router', code: '29' })), 2);
    assert.equal(m.get(key('shouquan_api_calls_total', { app_key: 'unknown', face: 'rest' })), 1);
    assert.equal(m.get(key('shouquan_api_errors_total', { app_key: 'unknown', face: 'rest', code: '27' })), 1);
    assert.equal(m.get(key('shouquan_api_call_duration_seconds_count', { app_key: app1, face: 'router' })), 3);
    assert.equal(
      m.get(key('shouquan_api_call_duration_seconds_bucket', { app_key: app1, face: 'rest', le: '+Inf' })),
      1,
    );
    // No successful call is counted as an error.
    assert.equal(m.get(key('shouquan_api_errors_total', { app_key: app1, face: 'rest', code: '15' })), undefined);
    // The label set is bounded: the limit's apps, "other" and "unknown".
    const appLabels = new Set(
      [...m.keys()].filter((k) => k.startsWith('shouquan_api_calls_total{')).map((k) => /app_key=([^,}]*)/.exec(k)![1]),
    );
    assert.deepEqual([...appLabels].sort(), [app1, second.appKey, 'other', 'unknown'].sort());
    assert.ok(![...m.keys()].some((k) => k.includes(third.appKey) || k.includes('9999999')));
  });
});
