/**
 * The ceiling: a bare Fastify server that parses a form POST and echoes it as JSON.
 * No database, no hashing: what any form-POST handler on this machine can at most do.
 */
import { parse } from 'node:querystring';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
  done(null, parse(body as string)),
);
app.post('/echo', async (request) => request.body);
app.get('/echo', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${port}`, port })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
