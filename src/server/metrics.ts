import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server instance (its own registry, so tests can build many). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'shouquan_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'shouquan_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    tokensIssued: new Counter({
      name: 'shouquan_tokens_issued_total',
      help: 'Token responses by grant type',
      labelNames: ['grant_type'] as const,
      registers: [registry],
    }),
    refreshGraceReplays: new Counter({
      name: 'shouquan_refresh_grace_replays_total',
      help: 'Refresh requests answered with the same successor again within the grace window (no token issued)',
      registers: [registry],
    }),
    oauthErrors: new Counter({
      name: 'shouquan_oauth_errors_total',
      help: 'OAuth error responses by error code',
      labelNames: ['error'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
