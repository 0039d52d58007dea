import { Counter, Histogram, type Registry } from 'prom-client';
import type { CallFace } from '../storage/gateway-ports.js';

/** Default of `--metrics-app-limit`: distinct app_key labels before the rest count as `other`. */
export const DEFAULT_METRICS_APP_LIMIT = 100;

/** The label of calls whose app is past the limit. */
export const OTHER_APPS = 'other';
/** The label of calls with no known app (missing or unknown app_key, a token that did not authenticate). */
export const UNKNOWN_APP = 'unknown';

/** The per-app metrics whose `app_key` label is capped (AppMetrics, NodeAppLabels). */
export const APP_METRIC_NAMES: readonly string[] = [
  'shouquan_api_calls_total',
  'shouquan_api_errors_total',
  'shouquan_api_call_duration_seconds',
];

/**
 * Per-app API metrics of the gateway (router and REST), with bounded cardinality: the first
 * `limit` known apps that call (per process) get their own `app_key` label, later ones share
 * `other`, and calls without a known app are `unknown`, so a client inventing AppKeys cannot
 * grow the label set. With `serve --workers N` the primary folds the workers' labels once more
 * (NodeAppLabels), so the node's `/metrics` holds at most `limit` app labels too. The metrics:
 * - `shouquan_api_calls_total{app_key,face}`
 * - `shouquan_api_errors_total{app_key,face,code}` (the gateway error code: 7 quota, 25 signature, 27 session, …)
 * - `shouquan_api_call_duration_seconds{app_key,face}` (histogram)
 */
export class AppMetrics {
  private readonly labels = new Set<string>();
  private readonly calls: Counter<'app_key' | 'face'>;
  private readonly errors: Counter<'app_key' | 'face' | 'code'>;
  private readonly duration: Histogram<'app_key' | 'face'>;

  constructor(
    registry: Registry,
    readonly limit: number = DEFAULT_METRICS_APP_LIMIT,
  ) {
    this.calls = new Counter({
      name: 'shouquan_api_calls_total',
      help: `Gateway API calls by app (first ${limit} apps by name, then "${OTHER_APPS}"; "${UNKNOWN_APP}": no known app) and face (router, rest)`,
      labelNames: ['app_key', 'face'] as const,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'shouquan_api_errors_total',
      help: 'Gateway API calls that ended in an error, by app, face and gateway error code',
      labelNames: ['app_key', 'face', 'code'] as const,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'shouquan_api_call_duration_seconds',
      help: 'Gateway API call latency by app and face',
      labelNames: ['app_key', 'face'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  /** The label for an app: its key while there is room, else `other`; `unknown` when there is no known app. */
  label(appKey: string | undefined, known: boolean): string {
    if (appKey === undefined || !known) return UNKNOWN_APP;
    if (this.labels.has(appKey)) return appKey;
    if (this.labels.size >= this.limit) return OTHER_APPS;
    this.labels.add(appKey);
    return appKey;
  }

  /** Count one finished call; `code` is the gateway error code, or null on success. */
  observe(appKey: string | undefined, known: boolean, face: CallFace, code: number | null, elapsedMs: number): void {
    const labels = { app_key: this.label(appKey, known), face };
    this.calls.inc(labels);
    if (code !== null) this.errors.inc({ ...labels, code: String(code) });
    this.duration.observe(labels, elapsedMs / 1000);
  }
}

/** A registry's metrics as `Registry.getMetricsAsJSON()` gives them (and as they cross IPC). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * The `--metrics-app-limit` cap for a whole node under `serve --workers N` (docs/adr/0090,
 * "Metrics aggregated"): each worker caps its own labels, but every worker gives its slots to the
 * apps it saw first, so the union over N workers could hold N × limit. The primary keeps one set
 * of admitted apps for the node: apps the workers report are admitted while there is room (at a
 * scrape, the new ones in order of calls, then by key), an admitted app keeps its label until the
 * primary restarts, and the samples of every other app are relabelled `other` before the workers'
 * metrics are summed. A folded app stays folded (the set only fills), so every series the node
 * shows stays monotonic, as Prometheus counters must.
 */
export class NodeAppLabels {
  private readonly admitted = new Set<string>();

  constructor(readonly limit: number = DEFAULT_METRICS_APP_LIMIT) {}

  /** The app keys that have a label of their own on this node, in the order they were admitted. */
  get apps(): readonly string[] {
    return [...this.admitted];
  }

  /** Relabel, in place, the per-app samples of the workers' metrics whose app is not admitted. */
  fold(workers: readonly MetricsJson[]): void {
    const appMetrics = workers.flatMap((metrics) => metrics.filter((m) => APP_METRIC_NAMES.includes(m.name)));
    const calls = new Map<string, number>();
    for (const m of appMetrics)
      for (const v of m.values) {
        const app = v.labels.app_key;
        if (typeof app !== 'string' || app === OTHER_APPS || app === UNKNOWN_APP || this.admitted.has(app)) continue;
        calls.set(app, (calls.get(app) ?? 0) + (m.name === 'shouquan_api_calls_total' ? v.value : 0));
      }
    const fresh = [...calls].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    for (const [app] of fresh) {
      if (this.admitted.size >= this.limit) break;
      this.admitted.add(app);
    }
    for (const m of appMetrics)
      for (const v of m.values) {
        const app = v.labels.app_key;
        if (typeof app === 'string' && app !== UNKNOWN_APP && !this.admitted.has(app))
          v.labels = { ...v.labels, app_key: OTHER_APPS };
      }
  }
}
