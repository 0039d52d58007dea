import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';

/** IPC message types between a worker's /metrics and the primary (prom-client uses its own). */
const METRICS_REQUEST = 'shouquan:metrics-request';
const METRICS_ANSWER = 'shouquan:metrics-answer';

/** How long a worker's /metrics waits for the primary's aggregate (prom-client itself gives up after 5 s). */
const AGGREGATE_TIMEOUT_MS = 6000;

interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  body?: string;
  error?: string;
}

/**
 * Worker side of `serve --workers N` (docs/adr/0090): the worker's registry answers
 * prom-client's cluster requests, and `/metrics` asks the primary for the sum over all workers
 * (prom-client's `AggregatorRegistry`), so a scrape that lands on any worker sees the whole server.
 * Each worker also counts its own requests under `shouquan_worker_http_requests_total{worker}`
 * (the worker's slot, 1…N, kept by its replacement), to show how the load is spread.
 */
export function clusterWorkerMetrics(registry: Registry, worker: number) {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's listener that answers the primary from `registry`.
  new AggregatorRegistry();
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
 * Primary side: answers workers' `/metrics` with prom-client's aggregate of all workers, followed
 * by the primary's own two metrics (live workers, restarts).
 */
export function clusterPrimaryMetrics() {
  const aggregator = new AggregatorRegistry();
  const own = new Registry();
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
  cluster.on('message', (worker: Worker, m: { type?: string; id?: number }) => {
    if (m?.type !== METRICS_REQUEST) return;
    const reply = (answer: Omit<MetricsAnswer, 'type'>) => {
      if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, ...answer });
    };
    Promise.all([aggregator.clusterMetrics(), own.metrics()]).then(
      ([all, mine]) => reply({ id: m.id!, body: `${all.trimEnd()}\n\n${mine}` }),
      (e: Error) => reply({ id: m.id!, error: e.message }),
    );
  });
  return { workers, restarts };
}
