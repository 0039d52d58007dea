/**
 * The OpenTelemetry SDK set-up and the instrumentation hooks (docs/adr/0155). Imported only by
 * `startTracing` when an OTLP endpoint is configured: a server without tracing never loads it.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SpanAttributes, TracingHooks } from './tracing.js';

const VERSION = '0.1.0';

/** `SELECT tokens`, `INSERT audit_log`: the operation and the first table, never the values. */
export function dbSpanName(sql: string): { name: string; operation: string; table?: string } {
  const operation = (/^\s*(\w+)/.exec(sql)?.[1] ?? 'query').toUpperCase();
  const table = /\b(?:from|into|update|table)\s+["`]?([A-Za-z_][\w.]*)/i.exec(sql)?.[1];
  return { name: table ? `${operation} ${table}` : operation, operation, table };
}

function clean(attributes: SpanAttributes | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(attributes ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/** Start the SDK: OTLP/HTTP (JSON) export in batches, W3C propagation, AsyncLocalStorage context. */
export function startOpenTelemetry(
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): { hooks: TracingHooks; endpoint: string } {
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol !== undefined && protocol !== 'http/json') {
    warn(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: Shouquan exports traces as OTLP/HTTP with JSON (http/json); the collector must accept that (the OpenTelemetry Collector's otlphttp receiver does)`,
    );
  }
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || 'shouquan',
      [ATTR_SERVICE_VERSION]: VERSION,
    }),
  );
  const exporter = new OTLPTraceExporter();
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  // Global: the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  const tracer: Tracer = trace.getTracer('shouquan', VERSION);
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').replace(/\/$/, '')}/v1/traces`;

  const endWithError = (span: Span, e: unknown) => {
    span.recordException(e as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
    span.end();
  };
  /** A client span for one SQL statement, named and described by the OTel database conventions. */
  const startDbSpan = (system: string, sql: string): Span => {
    const { name, operation, table } = dbSpanName(sql);
    return tracer.startSpan(name, {
      kind: SpanKind.CLIENT,
      attributes: clean({
        'db.system.name': system,
        'db.operation.name': operation,
        'db.collection.name': table,
        'db.query.text': sql,
      }),
    });
  };

  const hooks: TracingHooks = {
    installServerSpans(app: FastifyInstance) {
      const spans = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>();
      const end = (request: FastifyRequest, status?: number) => {
        const entry = spans.get(request);
        if (!entry) return;
        spans.delete(request);
        if (status !== undefined) {
          entry.span.setAttribute('http.response.status_code', status);
          if (status >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
        }
        entry.span.end();
      };
      // Callback hooks: `done` runs inside the span's context, so what the request does next is its child.
      app.addHook('onRequest', (request, _reply, done) => {
        const parent = propagation.extract(ROOT_CONTEXT, request.headers);
        const route = request.routeOptions.url;
        const span = tracer.startSpan(
          route ? `${request.method} ${route}` : request.method,
          {
            kind: SpanKind.SERVER,
            attributes: clean({
              'http.request.method': request.method,
              'http.route': route,
              'url.path': request.url.split('?')[0],
              'url.scheme': request.protocol,
              'client.address': request.ip,
              'user_agent.original': request.headers['user-agent'],
              'shouquan.request_id': request.id,
            }),
          },
          parent,
        );
        const ctx = trace.setSpan(parent, span);
        spans.set(request, { span, ctx });
        context.with(ctx, done);
      });
      // A body arrives through the socket's own async context: re-enter the span's before the handler.
      app.addHook('preHandler', (request, _reply, done) => {
        const entry = spans.get(request);
        if (entry) context.with(entry.ctx, done);
        else done();
      });
      app.addHook('onResponse', (request, reply, done) => {
        end(request, reply.statusCode);
        done();
      });
      app.addHook('onRequestAbort', (request, done) => {
        spans.get(request)?.span.setAttribute('shouquan.aborted', true);
        end(request);
        done();
      });
    },

    dbSync(system, sql, fn) {
      const span = startDbSpan(system, sql);
      try {
        const result = fn();
        span.end();
        return result;
      } catch (e) {
        endWithError(span, e);
        throw e;
      }
    },

    async dbAsync(system, sql, fn) {
      const span = startDbSpan(system, sql);
      try {
        const result = await context.with(trace.setSpan(context.active(), span), fn);
        span.end();
        return result;
      } catch (e) {
        endWithError(span, e);
        throw e;
      }
    },

    async fetch(name, url, init, attributes) {
      const u = new URL(String(url));
      const method = (init.method ?? 'GET').toUpperCase();
      const span = tracer.startSpan(name, {
        kind: SpanKind.CLIENT,
        attributes: clean({
          'http.request.method': method,
          'url.full': `${u.origin}${u.pathname}`,
          'server.address': u.hostname,
          'server.port': Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
          ...attributes,
        }),
      });
      const headers = new Headers(init.headers);
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      for (const [k, v] of Object.entries(carrier)) headers.set(k, v);
      try {
        const res = await fetch(url, { ...init, headers });
        span.setAttribute('http.response.status_code', res.status);
        if (res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        return res;
      } catch (e) {
        endWithError(span, e);
        throw e;
      }
    },

    async span(name, attributes, fn) {
      const span = tracer.startSpan(name, { attributes: clean(attributes) });
      try {
        const result = await context.with(trace.setSpan(context.active(), span), () =>
          fn((a) => span.setAttributes(clean(a))),
        );
        span.end();
        return result;
      } catch (e) {
        endWithError(span, e);
        throw e;
      }
    },

    async flush() {
      await provider.forceFlush();
    },

    async shutdown() {
      await provider.shutdown();
    },
  };
  return { hooks, endpoint };
}
