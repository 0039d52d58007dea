// Issue 17, "done when": the operators' guide path (docs/getting-started-operators.md, "From the package or
// the image to two nodes on PostgreSQL, with tracing") run as written: a config file and secret files,
// migrate once, two nodes behind one port that sets X-Request-Id, traces from both at an OTLP receiver.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry, spawnServer, type ServerProcess } from '../helpers/processes.js';
import { freshPostgres, postgresAvailable, PG_SKIP, type TestDatabase } from '../helpers/databases.js';

const pgUp = await postgresAvailable();

/** An OTLP/HTTP JSON receiver keeping each span's name, request id and the node (service.instance.id). */
async function otlpReceiver() {
  const spans: Array<{ name: string; node: string; requestId?: string; traceId: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => {
        type Attr = { key: string; value: { stringValue?: string } };
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          resourceSpans: Array<{
            resource: { attributes: Attr[] };
            scopeSpans: Array<{ spans: Array<{ name: string; traceId: string; attributes: Attr[] }> }>;
          }>;
        };
        for (const rs of body.resourceSpans) {
          const node = rs.resource.attributes.find((a) => a.key === 'service.instance.id')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans)
              spans.push({
                name: s.name,
                node,
                traceId: s.traceId,
                requestId: s.attributes.find((a) => a.key === 'shouquan.request_id')?.value.stringValue,
              });
        }
        res.writeHead(200).end('{}');
      });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

/** One port in front of the nodes, round robin, setting X-Request-Id and X-Forwarded-For as deploy/nginx.conf does. */
async function roundRobin(targets: string[]) {
  let next = 0;
  const server: Server = createServer((req, res) => {
    const target = new URL(targets[next++ % targets.length]!);
    const headers = {
      ...req.headers,
      'x-request-id': randomUUID().replace(/-/g, ''),
      'x-forwarded-for': req.socket.remoteAddress ?? '',
    };
    const up = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, { ...r.headers, 'x-served-by': target.port });
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("the operators' guide: two nodes on PostgreSQL with tracing", { skip: !pgUp && PG_SKIP }, () => {
  let dir: string;
  let db: TestDatabase;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let proxy: Awaited<ReturnType<typeof roundRobin>> | undefined;
  const nodes: ServerProcess[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shouquan-guide-'));
    db = await freshPostgres();
    receiver = await otlpReceiver();
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    proxy?.server.close();
    receiver?.server.close();
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('config file and secret files, migrate once, two nodes behind one port, traces from both', async () => {
    // Step 2 of the guide: the key, the URL in a file, the config file.
    writeFileSync(join(dir, 'secret.key'), `${randomBytes(32).toString('hex')}\n`);
    writeFileSync(join(dir, 'database_url'), `${db.url}\n`);
    writeFileSync(
      join(dir, 'shouquan.toml'),
      `issuer = "https://auth.example.com"\nhost = "0.0.0.0"\ntrust-proxy = ["127.0.0.1"]\nsecret-key-file = "${join(dir, 'secret.key')}"\n`,
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SHOUQUAN_CONFIG: join(dir, 'shouquan.toml'),
      SHOUQUAN_DATABASE_URL_FILE: join(dir, 'database_url'),
    };
    delete env.SHOUQUAN_DATABASE_URL;
    const cli = await cliEntry();
    const printed = spawnSync(process.execPath, [...cli, 'config', 'print', '--json'], { env, encoding: 'utf8' });
    assert.equal(printed.status, 0, printed.stderr);
    const settings = (
      JSON.parse(printed.stdout) as { settings: Record<string, { value: unknown; source: string; via?: string }> }
    ).settings;
    assert.deepEqual(settings.database, {
      value: db.url,
      source: 'env',
      env: 'SHOUQUAN_DATABASE_URL',
      via: 'database-url-file',
    });
    assert.equal(settings.issuer!.source, 'file');
    const migrated = spawnSync(process.execPath, [...cli, 'migrate', '--json'], { env, encoding: 'utf8' });
    assert.equal(migrated.status, 0, migrated.stderr);
    assert.ok((JSON.parse(migrated.stdout) as { applied: string[] }).applied.length > 0);

    // Step 3: two nodes with the OpenTelemetry variables, one port in front.
    for (const id of ['node-1', 'node-2']) {
      const otel = {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'shouquan',
        OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${id}`,
      };
      nodes.push(await spawnServer(null, [], { env: { ...env, ...otel }, cwd: dir }));
    }
    proxy = await roundRobin(nodes.map((n) => n.url));
    const served = new Set<string>();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res: Response = await fetch(`${proxy.url}/.well-known/oauth-authorization-server`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { issuer: string }).issuer, 'https://auth.example.com');
      served.add(res.headers.get('x-served-by') ?? '');
      ids.push(res.headers.get('x-request-id') ?? '');
    }
    assert.equal(served.size, 2, 'both nodes answered');
    assert.ok(
      ids.every((id) => /^[0-9a-f]{32}$/.test(id)),
      "the proxy's request ids came back",
    );
    assert.equal((await fetch(`${proxy.url}/readyz`)).status, 200);
    // SIGTERM drains each node and exports its last spans.
    for (const n of nodes.splice(0)) await n.stop();
    const requestSpans = receiver.spans.filter((s) => s.name === 'GET /.well-known/oauth-authorization-server');
    assert.deepEqual(new Set(requestSpans.map((s) => s.node)), new Set(['node-1', 'node-2']));
    assert.deepEqual(
      requestSpans.map((s) => s.requestId).sort(),
      [...ids].sort(),
      "each request's span carries the proxy's X-Request-Id",
    );
  });
});
