// Issue 17: a trusted proxy's X-Request-Id is kept (validated), answered and logged as reqId; else a fresh one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startTestServer, type TestServer } from './helpers/server.js';
import { REQUEST_ID_PATTERN, trustedPeer } from '../src/server/request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A server whose JSON log lines are kept. */
async function serverWith(trustProxy: boolean | number | string[] | undefined) {
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const server = await startTestServer({ server: { trustProxy, logger: { level: 'info', stream } } });
  return { server, logs };
}

describe('X-Request-Id', () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  describe('behind a trusted proxy (--trust-proxy true)', () => {
    let s: Awaited<ReturnType<typeof serverWith>>;
    before(async () => {
      s = await serverWith(true);
      servers.push(s.server);
    });

    it("keeps the proxy's id: in the answer's header, the body's request_id and every log line of the request", async () => {
      const id = 'lb-7f3a9c2e-0001';
      const res = await fetch(`${s.server.url}/router/rest?method=x`, { headers: { 'x-request-id': id } });
      assert.equal(res.headers.get('x-request-id'), id);
      const body = (await res.json()) as { error_response: { request_id: string } };
      assert.equal(body.error_response.request_id, id);
      const lines = s.logs.filter((l) => l.reqId === id);
      assert.ok(
        lines.some((l) => l.msg === 'incoming request'),
        JSON.stringify(s.logs.slice(-3)),
      );
      assert.ok(lines.some((l) => l.msg === 'request completed'));
    });

    it('answers with it on errors and on pages too', async () => {
      const notFound = await fetch(`${s.server.url}/no/such/path`, { headers: { 'x-request-id': 'abc-404' } });
      assert.equal(notFound.status, 404);
      assert.equal(notFound.headers.get('x-request-id'), 'abc-404');
      const health = await fetch(`${s.server.url}/healthz`, {
        headers: { 'x-request-id': 'Root=1-67891233-abcdef012345678912345678' },
      });
      assert.equal(health.headers.get('x-request-id'), 'Root=1-67891233-abcdef012345678912345678');
    });

    it('replaces an id that could forge a log line or is too long', async () => {
      for (const bad of ['a b', 'x"}{"level":60', 'é', 'a'.repeat(129), '', "id';drop"]) {
        const res = await fetch(`${s.server.url}/healthz`, { headers: { 'x-request-id': bad } });
        assert.match(res.headers.get('x-request-id') ?? '', UUID, JSON.stringify(bad));
      }
      const max = 'a'.repeat(128);
      assert.equal(
        (await fetch(`${s.server.url}/healthz`, { headers: { 'x-request-id': max } })).headers.get('x-request-id'),
        max,
      );
    });

    it('generates one when the proxy sent none', async () => {
      const a = (await fetch(`${s.server.url}/healthz`)).headers.get('x-request-id');
      const b = (await fetch(`${s.server.url}/healthz`)).headers.get('x-request-id');
      assert.match(a ?? '', UUID);
      assert.notEqual(a, b);
    });
  });

  it('without --trust-proxy an incoming id is not believed: a fresh one is answered and logged', async () => {
    const s = await serverWith(undefined);
    servers.push(s.server);
    const res = await fetch(`${s.server.url}/healthz`, { headers: { 'x-request-id': 'client-chosen' } });
    const id = res.headers.get('x-request-id') ?? '';
    assert.match(id, UUID);
    assert.ok(s.logs.some((l) => l.reqId === id));
    assert.ok(!s.logs.some((l) => l.reqId === 'client-chosen'));
  });

  it('with --trust-proxy as addresses, only those peers are believed', async () => {
    const trusted = await serverWith(['10.0.0.0/8', '127.0.0.1']);
    const other = await serverWith(['10.0.0.0/8']);
    servers.push(trusted.server, other.server);
    assert.equal(
      (await fetch(`${trusted.server.url}/healthz`, { headers: { 'x-request-id': 'from-lb' } })).headers.get(
        'x-request-id',
      ),
      'from-lb',
    );
    assert.match(
      (await fetch(`${other.server.url}/healthz`, { headers: { 'x-request-id': 'from-lb' } })).headers.get(
        'x-request-id',
      ) ?? '',
      UUID,
    );
  });

  it('trustedPeer and the pattern', () => {
    assert.equal(trustedPeer(false)('127.0.0.1'), false);
    assert.equal(trustedPeer(true)('203.0.113.9'), true);
    assert.equal(trustedPeer(1)('203.0.113.9'), true);
    assert.equal(trustedPeer(0)('203.0.113.9'), false);
    const list = trustedPeer(['10.0.0.0/8', '::1', '2001:db8::/32']);
    assert.equal(list('10.2.3.4'), true);
    assert.equal(list('::ffff:10.2.3.4'), true);
    assert.equal(list('11.0.0.1'), false);
    assert.equal(list('::1'), true);
    assert.equal(list('2001:db8:1::5'), true);
    assert.equal(list(undefined), false);
    assert.ok(REQUEST_ID_PATTERN.test('0f8fad5b-d9cb-469f-a165-70867728950e'));
    assert.ok(!REQUEST_ID_PATTERN.test('a\nb'));
  });
});
