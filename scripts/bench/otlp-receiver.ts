/**
 * A minimal OTLP/HTTP trace receiver for measuring what tracing costs the server (docs/benchmarks.md,
 * "Tracing"): accepts JSON export requests at POST /v1/traces, counts requests and spans, answers
 * 200 `{}` as a collector does, and keeps nothing. On SIGTERM or SIGINT it prints the counts to
 * stderr and exits. Listens on 127.0.0.1 only.
 * Usage: node --import tsx scripts/bench/otlp-receiver.ts [port (default 4318)]
 * Pin it away from the server (e.g. `taskset -c 1`, with wrk) so its CPU is not the server's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const port = Number(process.argv[2] ?? 4318);
let requests = 0;
let spans = 0;
let refused = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      refused++;
      return void res.writeHead(404).end();
    }
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>;
      };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch {
      refused++;
      res.writeHead(400).end();
    }
  });
});

server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${bound}` })}\n`);
});

const stop = () => {
  process.stderr.write(`otlp-receiver: ${requests} export requests, ${spans} spans, ${refused} refused\n`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
