import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry, Registry } from 'prom-client';
import { AppMetrics, NodeAppLabels, OTHER_APPS, UNKNOWN_APP, type MetricsJson } from './app-metrics.js';

/** Two workers' registries, each with its own AppMetrics capped at `limit`. */
function workers(limit: number) {
  return [new Registry(), new Registry()].map((registry) => ({ registry, metrics: new AppMetrics(registry, limit) }));
}

/** What the primary shows: each worker's registry as JSON, folded, then summed as prom-client sums them. */
async function node(ws: ReturnType<typeof workers>, labels: NodeAppLabels) {
  const answers: MetricsJson[] = await Promise.all(ws.map((w) => w.registry.getMetricsAsJSON()));
  labels.fold(answers);
  const registry = AggregatorRegistry.aggregate(answers);
  const json = await registry.getMetricsAsJSON();
  const values = (name: string) => json.find((m) => m.name === name)?.values ?? [];
  const calls = new Map(
    values('shouquan_api_calls_total').map((v) => [`${v.labels.app_key}/${v.labels.face}`, v.value]),
  );
  const appKeys = (name: string) => new Set(values(name).map((v) => String(v.labels.app_key)));
  return { calls, appKeys, values };
}

describe('NodeAppLabels: --metrics-app-limit over serve --workers N', () => {
  it('shows at most `limit` app labels for the node when each worker admitted different apps', async () => {
    const ws = workers(1);
    // Worker 1 sees app A first, worker 2 app B: each gives its one slot to a different app.
    ws[0]!.metrics.observe('A', true, 'router', null, 2);
    ws[0]!.metrics.observe('B', true, 'router', 25, 3);
    ws[1]!.metrics.observe('B', true, 'router', null, 1);
    ws[1]!.metrics.observe('B', true, 'rest', null, 1);
    ws[1]!.metrics.observe('C', true, 'router', 22, 4);
    ws[1]!.metrics.observe('X', false, 'router', 29, 1);
    const labels = new NodeAppLabels(1);
    const { calls, appKeys, values } = await node(ws, labels);
    // B has the most calls over the node (3), so it is admitted; A and C fold into `other`.
    assert.deepEqual(labels.apps, ['B']);
    for (const name of ['shouquan_api_calls_total', 'shouquan_api_errors_total', 'shouquan_api_call_duration_seconds'])
      for (const k of appKeys(name)) assert.ok([OTHER_APPS, UNKNOWN_APP, 'B'].includes(k), `${name}: ${k}`);
    assert.deepEqual([...appKeys('shouquan_api_calls_total')].sort(), ['B', OTHER_APPS, UNKNOWN_APP]);
    // Worker 1 counted B under `other` (its slot went to A): that share stays `other`.
    assert.deepEqual(
      Object.fromEntries([...calls].sort()),
      { 'B/rest': 1, 'B/router': 1, 'other/router': 3, 'unknown/router': 1 },
      'no call lost or counted twice',
    );
    const errors = values('shouquan_api_errors_total').map((v) => `${v.labels.app_key}/${v.labels.code}=${v.value}`);
    assert.deepEqual(errors.sort(), ['other/22=1', 'other/25=1', 'unknown/29=1']);
    const count = values('shouquan_api_call_duration_seconds').find(
      (v) =>
        (v as { metricName?: string }).metricName === 'shouquan_api_call_duration_seconds_count' &&
        v.labels.app_key === OTHER_APPS,
    );
    assert.equal(count?.value, 3, 'the histogram of `other` holds the folded calls');
  });

  it('keeps an admitted app for later scrapes and never admits past the limit', async () => {
    const ws = workers(2);
    const labels = new NodeAppLabels(2);
    ws[0]!.metrics.observe('A', true, 'router', null, 1);
    assert.deepEqual([...(await node(ws, labels)).appKeys('shouquan_api_calls_total')], ['A']);
    // Later C calls much more than A, and B appears: one slot left, C takes it by calls; A stays.
    for (let i = 0; i < 5; i++) ws[1]!.metrics.observe('C', true, 'router', null, 1);
    ws[1]!.metrics.observe('B', true, 'router', null, 1);
    const second = await node(ws, labels);
    assert.deepEqual(labels.apps, ['A', 'C']);
    assert.deepEqual([...second.appKeys('shouquan_api_calls_total')].sort(), ['A', 'C', OTHER_APPS]);
    assert.equal(second.calls.get('other/router'), 1);
    // A third scrape after more calls of B: still folded, so `other` only grows.
    ws[0]!.metrics.observe('B', true, 'router', null, 1);
    const third = await node(ws, labels);
    assert.deepEqual(labels.apps, ['A', 'C']);
    assert.equal(third.calls.get('other/router'), 2);
  });

  it('limit 0 folds every known app into `other`', async () => {
    const ws = workers(0);
    ws[0]!.metrics.observe('A', true, 'router', null, 1);
    ws[1]!.metrics.observe('B', true, 'rest', null, 1);
    const labels = new NodeAppLabels(0);
    const { calls } = await node(ws, labels);
    assert.deepEqual(labels.apps, []);
    assert.deepEqual(Object.fromEntries(calls), { 'other/router': 1, 'other/rest': 1 });
  });
});
