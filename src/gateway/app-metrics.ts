import { Counter, Histogram, type Registry } from 'prom-client';
import type { CallFace } from '../storage/gateway-ports.js';

/** Default of `--metrics-app-limit`: distinct app_key labels before the rest count as `other`. */
export const DEFAULT_METRICS_APP_LIMIT = 100;

/** The label of calls whose app is past the limit. */
export const OTHER_APPS = 'other';
/** The label of calls with no known app (missing or unknown app_key, a token that did not authenticate). */
export const UNKNOWN_APP = 'unknown';

/**
 * Per-app API metrics of the gateway (router and REST), with bounded cardinality: the first
 * `limit` known apps that call (per process) get their own `app_key` label, later ones share
 * `other`, and calls without a known app are `unknown`, so a client inventing AppKeys cannot
 * grow the label set. The metrics:
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
