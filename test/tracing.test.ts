// Issue 17: OpenTelemetry traces through the official SDK, checked at a small OTLP/HTTP (JSON) receiver:
// a span per request continuing the caller's W3C traceparent; children for database statements, the
// seller directory and webhook deliveries (docs/adr/0155).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from './helpers/server.js';
import { authorizeThroughForms } from './helpers/browserless.js';
import { FakeSellerDirectory } from './helpers/seller-directory.js';
import { sellerTokens, waitFor } from './helpers/gateway.js';
import { spawnServer } from './helpers/processes.js';
import { flushTracing, startTracing, stopTracing, tracing, tracingRequested } from '../src/tracing/tracing.js';
import { freshPostgres, postgresAvailable, PG_SKIP } from './helpers/databases.js';
import { dbSpanName } from '../src/tracing/otel.js';
import { standardProfile } from '../src/profiles/standard.profile.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string; boolValue?: boolean } }>;
  status?: { code?: number };
}

/** An OTLP/HTTP receiver that accepts JSON export requests at /v1/traces and keeps their spans. */
async function startReceiver() {
  const spans: Array<OtlpSpan & { service: string }> = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
      contentTypes.push(req.headers['content-type'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{
          resource: { attributes: OtlpSpan['attributes'] };
          scopeSpans: Array<{ spans: OtlpSpan[] }>;
        }>;
      };
      for (const rs of body.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? v?.boolValue : Number(v.intValue));
};
const pgUp = await postgresAvailable();
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

describe('OpenTelemetry tracing', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let s: TestServer;
  let dir: FakeSellerDirectory;
  let hook: Server;
  const hookHeaders: IncomingHttpHeaders[] = [];
  const saved = { ...process.env };

  before(async () => {
    receiver = await startReceiver();
    // The standard variables, as an operator sets them.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_SERVICE_NAME = 'shouquan-test';
    assert.ok(await startTracing(process.env));
    dir = await new FakeSellerDirectory('dir-secret').start();
    dir.accounts.set('alice', {
      password: 'alice-pw',
      answer: () => ({
        status: 200,
        body: { seller_id: 'P-1', nick: 'Alice', stores: [{ store_id: 'S-1', name: 'Alice Shop' }] },
      }),
    });
    hook = createServer((req, res) => {
      hookHeaders.push(req.headers);
      req.resume().on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    s = await startTestServer({
      profile: { ...standardProfile, grants: { stores: 'one', reconsent: 'replace' } },
      gateway: { webhookPollMs: 20, webhookBackoffMs: 1, webhookMaxBackoffMs: 1 },
    });
  });
  after(async () => {
    await s?.close();
    await dir?.stop();
    await new Promise<void>((r) => hook?.close(() => r()));
    await stopTracing();
    await receiver?.close();
    process.env = saved;
  });

  it('is off unless an OTLP endpoint is set, or when the SDK is disabled', () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }), false);
    assert.equal(
      tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
      false,
    );
  });

  it('loads the SDK only from src/tracing/otel.ts, which only a dynamic import reaches', () => {
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && p !== join('src', 'tracing', 'otel.ts')) {
          const text = readFileSync(p, 'utf8');
          if (
            /^import[^;]*from '@opentelemetry\//m.test(text) ||
            /^import[^;]*from '\.\/otel\.js'/m.test(text) ||
            /from '(\.\.\/)+tracing\/otel\.js'/.test(text)
          )
            offenders.push(p);
        }
      }
    };
    walk('src');
    assert.deepEqual(offenders, []);
    assert.match(readFileSync('src/tracing/tracing.ts', 'utf8'), /await import\('\.\/otel\.js'\)/);
  });

  it('names database spans by operation and table, never by values', () => {
    assert.deepEqual(dbSpanName('select "a" from "tokens" where "hash" = ?'), {
      name: 'SELECT tokens',
      operation: 'SELECT',
      table: 'tokens',
    });
    assert.deepEqual(dbSpanName('insert into "audit_log" ("at") values ($1)'), {
      name: 'INSERT audit_log',
      operation: 'INSERT',
      table: 'audit_log',
    });
    assert.deepEqual(dbSpanName('begin'), { name: 'BEGIN', operation: 'BEGIN', table: undefined });
  });

  it("exports a server span per request that continues the caller's traceparent, with database child spans, a seller directory span and webhook deliveries", async () => {
    assert.ok(tracing.hooks);
    // 1. A token request carrying the caller's W3C traceparent (a POST: its body arrives after the span started).
    const traceId = hex(32);
    const callerSpan = hex(16);
    const res = await fetch(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', traceparent: `00-${traceId}-${callerSpan}-01` },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'nope',
        redirect_uri: s.client.callback,
        client_id: s.client.appKey,
        client_secret: s.client.appSecret,
      }).toString(),
    });
    assert.equal(res.status, 400);

    // 2. A seller signing in through the platform's directory (a server with --seller-directory).
    const withDir = await startTestServer({
      server: { sellerDirectory: { url: dir.url, secret: 'dir-secret', timeoutMs: 3000 } },
    });
    try {
      const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: withDir.client.appKey, redirect_uri: withDir.client.callback, state: 't' })}`;
      await authorizeThroughForms(withDir.url, url, { username: 'alice', password: 'alice-pw', storeId: -1 }).catch(
        () => undefined,
      );
      assert.ok(dir.requests.length >= 1, 'the directory was asked');
    } finally {
      await withDir.close();
    }

    // 3. A webhook delivery: a replaced authorization pushes authorization.replaced to the app.
    await s.core.storage.gateway!.apps.upsert(s.client.appKey, {
      webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      webhookSince: s.core.now(),
    });
    await sellerTokens(s, s.seller.stores[0]!.storeId);
    await sellerTokens(s, s.seller.stores[1]!.storeId);
    await waitFor(async () => hookHeaders.length > 0, 'the webhook delivery');

    // Export what is buffered (the batch processor would within seconds).
    await flushTracing();
    assert.ok(
      receiver.contentTypes.every((t) => t.startsWith('application/json')),
      'OTLP/HTTP with JSON',
    );
    const spans = receiver.spans;
    assert.ok(
      spans.every((x) => x.service === 'shouquan-test'),
      'OTEL_SERVICE_NAME is the service.name',
    );

    const server = spans.find((x) => x.traceId === traceId && x.name === 'POST /oauth/token');
    assert.ok(
      server,
      `a server span in the caller's trace: ${JSON.stringify(spans.filter((x) => x.traceId === traceId).map((x) => x.name))}`,
    );
    assert.equal(server.parentSpanId, callerSpan, "its parent is the caller's span");
    assert.equal(server.kind, 2, 'SERVER');
    assert.equal(attr(server, 'http.request.method'), 'POST');
    assert.equal(attr(server, 'http.route'), '/oauth/token');
    assert.equal(attr(server, 'http.response.status_code'), 400);
    const dbChildren = spans.filter((x) => x.parentSpanId === server.spanId && attr(x, 'db.system.name') === 'sqlite');
    assert.ok(dbChildren.length >= 1, 'the statements of the request are its children');
    for (const d of dbChildren) {
      assert.equal(d.traceId, traceId);
      assert.equal(d.kind, 3, 'CLIENT');
      assert.match(d.name, /^(SELECT|INSERT|UPDATE|DELETE|SAVEPOINT|RELEASE)\b/);
      assert.doesNotMatch(String(attr(d, 'db.query.text')), /nope/, 'values are parameters, not in the text');
    }

    const directory = spans.find((x) => x.name === 'seller directory sign-in');
    assert.ok(directory, 'a span for the directory call');
    assert.equal(directory.kind, 3);
    assert.equal(attr(directory, 'http.response.status_code'), 200);
    const signIn = spans.find((x) => x.spanId === directory.parentSpanId);
    assert.ok(
      signIn && signIn.kind === 2 && signIn.name.startsWith('POST '),
      `its parent is the sign-in request's server span: ${signIn?.name}`,
    );
    assert.equal(signIn.traceId, directory.traceId);

    const delivery = spans.find((x) => x.name === 'webhook delivery');
    assert.ok(delivery, 'a span per webhook delivery');
    assert.equal(attr(delivery, 'shouquan.webhook.event'), 'authorization.replaced');
    assert.equal(attr(delivery, 'shouquan.webhook.delivered'), true);
    const post = spans.find((x) => x.name === 'POST webhook' && x.parentSpanId === delivery.spanId);
    assert.ok(post, 'the HTTP POST is its child');
    assert.equal(attr(post, 'http.response.status_code'), 200);
    // The receiver got the trace context: the POST span's id and trace.
    const tp = hookHeaders.map((h) => h.traceparent).find(Boolean);
    assert.equal(tp, `00-${post.traceId}-${post.spanId}-01`);
  });

  it('traces PostgreSQL statements as children of the request', { skip: !pgUp && PG_SKIP }, async () => {
    const pg = await startTestServer({ db: await freshPostgres() });
    try {
      const traceId = hex(32);
      const res = await fetch(`${pg.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', traceparent: `00-${traceId}-${hex(16)}-01` },
        body: new URLSearchParams({
          token: 'nope',
          client_id: pg.client.appKey,
          client_secret: pg.client.appSecret,
        }).toString(),
      });
      assert.equal(res.status, 200);
    } finally {
      await pg.close();
    }
    await flushTracing();
    const server = receiver.spans.find(
      (x) =>
        x.name === 'POST /oauth/introspect' &&
        x.kind === 2 &&
        receiver.spans.some((y) => y.parentSpanId === x.spanId && attr(y, 'db.system.name') === 'postgresql'),
    );
    assert.ok(
      server,
      `spans: ${JSON.stringify(receiver.spans.filter((x) => attr(x, 'db.system.name') === 'postgresql').map((x) => x.name))}`,
    );
  });
});

describe('shouquan serve with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports the request spans of a real server process, flushed on SIGTERM', async () => {
    const receiver = await startReceiver();
    try {
      const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'shouquan-serve' };
      const server = await spawnServer('sqlite::memory:', [], { env });
      const traceId = hex(32);
      const parent = hex(16);
      try {
        const res = await fetch(`${server.url}/readyz`, { headers: { traceparent: `00-${traceId}-${parent}-01` } });
        assert.equal(res.status, 200);
      } finally {
        await server.stop();
      }
      const span = receiver.spans.find((x) => x.traceId === traceId && x.name === 'GET /readyz');
      assert.ok(span, `spans: ${JSON.stringify(receiver.spans.map((x) => x.name))}`);
      assert.equal(span.parentSpanId, parent);
      assert.equal(span.service, 'shouquan-serve');
      // The readiness check's database ping is its child.
      assert.ok(receiver.spans.some((x) => x.parentSpanId === span.spanId && attr(x, 'db.system.name') === 'sqlite'));
    } finally {
      await receiver.close();
    }
  });
});
