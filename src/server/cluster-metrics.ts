import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { DEFAULT_METRICS_APP_LIMIT, NodeAppLabels, type MetricsJson } from '../gateway/app-metrics.js';

/** IPC message types: a worker's /metrics asks the primary, which asks every worker for its registry. */
const METRICS_REQUEST = 'shouquan:metrics-request';
const METRICS_ANSWER = 'shouquan:metrics-answer';
const REGISTRY_REQUEST = 'shouquan:registry-request';
const REGISTRY_ANSWER = 'shouquan:registry-answer';

/** How long the primary waits for every worker's registry (prom-client's own cluster requests wait 5 s). */
const COLLECT_TIMEOUT_MS = 5000;
/** How long a worker's /metrics waits for the primary's aggregate. */
const AGGREGATE_TIMEOUT_MS = 6000;

interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  body?: string;
  error?: string;
}

interface RegistryAnswer {
  type: typeof REGISTRY_ANSWER;
  id: number;
  metrics?: MetricsJson;
  error?: string;
}

/**
 * Worker side of `serve --workers N` (docs/adr/0090): the worker answers the primary's requests
 * with its registry as JSON (`getMetricsAsJSON`), and `/metrics` asks the primary for the sum over
 * all workers, so a scrape that lands on any worker sees the whole server.
 * Each worker also counts its own requests under `shouquan_worker_http_requests_total{worker}`
 * (the worker's slot, 1…N, kept by its replacement), to show how the load is spread.
 */
export function clusterWorkerMetrics(registry: Registry, worker: number) {
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type !== REGISTRY_REQUEST) return;
    const answer = (a: Omit<RegistryAnswer, 'type' | 'id'>) =>
      process.send?.({ type: REGISTRY_ANSWER, id: m.id, ...a });
    registry.getMetricsAsJSON().then(
      (metrics) => answer({ metrics }),
      (e: Error) => answer({ error: e.message }),
    );
  });
  const served = new Counter({
    name: 'shouquan_worker_http_requests_total',
    help: 'HTTP requests answered by each worker process (serve --workers), by worker slot',
    labelNames: ['worker'] as const,
    registers: [registry],
  });
  const label = { worker: String(worker) };
  const waiting = new Map<number, { resolve(body: string): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  let nextId = 0;
  process.on('message', (m: MetricsAnswer) => {
    if (m?.type !== METRICS_ANSWER) return;
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    clearTimeout(w.timer);
    if (m.error !== undefined || m.body === undefined) w.reject(new Error(m.error ?? 'no metrics'));
    else w.resolve(m.body);
  });
  return {
    /** Count one answered request for this worker. */
    countRequest: () => served.inc(label),
    /** The aggregated metrics of every worker plus the primary's own, in Prometheus text format. */
    aggregated(): Promise<string> {
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('the primary process did not answer in time'));
        }, AGGREGATE_TIMEOUT_MS);
        waiting.set(id, { resolve, reject, timer });
        process.send?.({ type: METRICS_REQUEST, id }, undefined, undefined, (e: Error | null) => {
          if (!e) return;
          waiting.delete(id);
          clearTimeout(timer);
          reject(e);
        });
      });
    },
  };
}

export type ClusterWorkerMetrics = ReturnType<typeof clusterWorkerMetrics>;

/**
 * Primary side: answers workers' `/metrics` with the sum of every worker's registry (prom-client's
 * `AggregatorRegistry.aggregate`, each metric by its own aggregator, summing by default), followed
 * by the primary's own two metrics (live workers, restarts). Before summing, the per-app API
 * metrics' `app_key` labels are folded to one node-wide set of at most `appLimit` apps
 * (`NodeAppLabels`, `--metrics-app-limit`), so N workers do not show N × the limit.
 */
export function clusterPrimaryMetrics(appLimit: number = DEFAULT_METRICS_APP_LIMIT) {
  const own = new Registry();
  const apps = new NodeAppLabels(appLimit);
  const workers = new Gauge({
    name: 'shouquan_cluster_workers',
    help: 'Worker processes running (serve --workers)',
    registers: [own],
  });
  const restarts = new Counter({
    name: 'shouquan_cluster_worker_restarts_total',
    help: 'Workers restarted after an unexpected exit',
    registers: [own],
  });
  const collecting = new Map<number, { answers: MetricsJson[]; pending: number; done(e?: Error): void }>();
  let nextId = 0;

  /** Every connected worker's registry, folded and summed, in Prometheus text format. */
  const collect = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const answers: MetricsJson[] = [];
      const timer = setTimeout(() => done(new Error('a worker did not answer in time')), COLLECT_TIMEOUT_MS);
      const done = (e?: Error) => {
        if (!collecting.delete(id)) return;
        clearTimeout(timer);
        if (e) return reject(e);
        try {
          apps.fold(answers);
          resolve(AggregatorRegistry.aggregate(answers).metrics());
        } catch (err) {
          reject(err as Error);
        }
      };
      const request = { answers, pending: 0, done };
      collecting.set(id, request);
      for (const w of Object.values(cluster.workers ?? {}))
        if (w?.isConnected()) {
          w.send({ type: REGISTRY_REQUEST, id });
          request.pending++;
        }
      if (request.pending === 0) done();
    });

  cluster.on('message', (worker: Worker, m: { type?: string; id?: number } & Partial<RegistryAnswer>) => {
    if (m?.type === REGISTRY_ANSWER) {
      const request = collecting.get(m.id!);
      if (!request) return;
      if (m.error !== undefined || m.metrics === undefined) return request.done(new Error(m.error ?? 'no metrics'));
      request.answers.push(m.metrics);
      if (--request.pending === 0) request.done();
      return;
    }
    if (m?.type !== METRICS_REQUEST) return;
    const reply = (answer: Omit<MetricsAnswer, 'type'>) => {
      if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, ...answer });
    };
    Promise.all([collect(), own.metrics()]).then(
      ([all, mine]) => reply({ id: m.id!, body: `${all.trimEnd()}\n\n${mine}` }),
      (e: Error) => reply({ id: m.id!, error: e.message }),
    );
  });
  return { workers, restarts };
}
