/**
 * OpenTelemetry tracing (docs/adr/0155). Off unless the standard variable
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; only then is the SDK
 * loaded (src/tracing/otel.ts, imported lazily) and are the hooks below filled in. Code on the hot
 * path checks one variable, `tracing.hooks`, and does nothing more while it is undefined: no
 * OpenTelemetry module is even loaded.
 */
import type { FastifyInstance } from 'fastify';

/** Attributes of a span (OpenTelemetry semantic conventions). */
export type SpanAttributes = Record<string, string | number | boolean | undefined>;

/** What instrumented code calls while tracing is on (implemented in otel.ts). */
export interface TracingHooks {
  /** A span per request, continuing the caller's W3C traceparent (Fastify hooks). */
  installServerSpans(app: FastifyInstance): void;
  /** A synchronous database statement (SQLite) as a child span of the current one. */
  dbSync<T>(system: 'sqlite' | 'postgresql', sql: string, fn: () => T): T;
  /** An asynchronous database statement (PostgreSQL) as a child span. */
  dbAsync<T>(system: 'sqlite' | 'postgresql', sql: string, fn: () => Promise<T>): Promise<T>;
  /** An outgoing HTTP call as a client span; the traceparent is added to its headers. */
  fetch(name: string, url: string | URL, init: RequestInit, attributes?: SpanAttributes): Promise<Response>;
  /** Any other unit of work as a span (the current one's child, or a new trace). */
  span<T>(
    name: string,
    attributes: SpanAttributes,
    fn: (set: (attributes: SpanAttributes) => void) => Promise<T>,
  ): Promise<T>;
  /** Export what is buffered now. */
  flush(): Promise<void>;
  /** Export what is buffered and stop. */
  shutdown(): Promise<void>;
}

/** The one switch the hot path looks at. */
export const tracing: { hooks?: TracingHooks } = {};

/** Whether the environment asks for traces: an OTLP endpoint, and the SDK not disabled. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  if ((env.OTEL_TRACES_EXPORTER ?? 'otlp').toLowerCase() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Start tracing when the environment asks for it (loading the SDK only then); returns what was
 * started, or undefined. Warnings (an unsupported protocol) go to `warn`.
 */
export async function startTracing(
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
): Promise<{ endpoint: string } | undefined> {
  if (tracing.hooks || !tracingRequested(env)) return undefined;
  const { startOpenTelemetry } = await import('./otel.js');
  const started = startOpenTelemetry(env, warn);
  tracing.hooks = started.hooks;
  return { endpoint: started.endpoint };
}

/** Flush and stop tracing (serve's drain); a no-op when it is off. */
export async function stopTracing(): Promise<void> {
  const hooks = tracing.hooks;
  tracing.hooks = undefined;
  await hooks?.shutdown();
}

/** Export the spans buffered so far (tests; the batch processor does it every few seconds). */
export async function flushTracing(): Promise<void> {
  await tracing.hooks?.flush();
}

/** `fetch`, as a traced client span when tracing is on. */
export function tracedFetch(
  name: string,
  url: string | URL,
  init: RequestInit,
  attributes?: SpanAttributes,
): Promise<Response> {
  const hooks = tracing.hooks;
  return hooks ? hooks.fetch(name, url, init, attributes) : fetch(url, init);
}

/** Run `fn` in a span when tracing is on, else just run it. */
export function traced<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (set: (attributes: SpanAttributes) => void) => Promise<T>,
): Promise<T> {
  const hooks = tracing.hooks;
  return hooks ? hooks.span(name, attributes, fn) : fn(noop);
}
const noop = () => {};
