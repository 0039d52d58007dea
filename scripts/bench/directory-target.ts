/**
 * The platform's HTTP seller directory for the "seller login (directory)" workload, in its own
 * process (run.ts pins it to core 1 with wrk, so its CPU is not Shouquan's).
 * Usage: SHOUQUAN_SELLER_DIRECTORY_SECRET=… node --import tsx scripts/bench/directory-target.ts [--sellers N]
 *
 * The contract of issue 14 §1 (docs/adr/0125): `POST /sellers/authenticate` with
 * `{"username","password"}`, signed with `X-Shouquan-Timestamp` and
 * `X-Shouquan-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`, checked in
 * constant time as a platform would. The bench's sellers `dir0` … `dirN-1` (one password) answer
 * 200 `{"seller_id","nick","stores":[{"store_id","name"}]}`; a wrong password 401, an unknown
 * username 404, a bad signature 400.
 *
 * It measures its own time per request, from the request's arrival (headers parsed) to the end of
 * its response, so the bench can show Shouquan's cost apart from the directory's.
 * `GET /stats` answers `{"requests","p50_ms","p99_ms","statuses":{"200":n,…}}` for the requests since
 * the last `GET /stats` and starts counting afresh.
 *
 * Prints one JSON line when ready: `{"ready":true,"url","stats","sellers":[…],"password"}`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const secret = process.env.SHOUQUAN_SELLER_DIRECTORY_SECRET;
if (!secret) throw new Error('directory-target.ts needs SHOUQUAN_SELLER_DIRECTORY_SECRET');
const i = process.argv.indexOf('--sellers');
const sellerCount = i === -1 ? 16 : Number(process.argv[i + 1]);
const password = 'bench-directory-password-1';
const sellers = Array.from({ length: sellerCount }, (_, n) => `dir${n}`);
const answers = new Map(
  sellers.map((username, n) => [
    username,
    JSON.stringify({
      seller_id: `P-${100000 + n}`,
      nick: `Directory seller ${n}`,
      stores: [
        { store_id: `S-${100000 + n}`, name: `Directory store ${n}` },
        { store_id: `S-${200000 + n}`, name: `Directory outlet ${n}` },
      ],
    }),
  ]),
);

let durations: number[] = [];
let statuses: Record<string, number> = {};

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

const server = createServer((req, res) => {
  const t0 = performance.now();
  if (req.method === 'GET' && req.url === '/stats') {
    const sorted = durations.sort((a, b) => a - b);
    const body = {
      requests: sorted.length,
      p50_ms: percentile(sorted, 0.5),
      p99_ms: percentile(sorted, 0.99),
      statuses,
    };
    durations = [];
    statuses = {};
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }
  const answer = (status: number, body: string) => {
    res.once('finish', () => {
      durations.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  };
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const timestamp = String(req.headers['x-shouquan-timestamp'] ?? '');
    const signature = Buffer.from(String(req.headers['x-shouquan-signature'] ?? ''));
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex')}`,
    );
    if (req.method !== 'POST' || signature.length !== expected.length || !timingSafeEqual(signature, expected))
      return answer(400, '{"error":"bad signature"}');
    let body: { username?: unknown; password?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return answer(400, '{"error":"bad body"}');
    }
    const found = typeof body.username === 'string' ? answers.get(body.username) : undefined;
    if (!found) return answer(404, '{"error":"no such seller"}');
    if (body.password !== password) return answer(401, '{"error":"wrong password"}');
    answer(200, found);
  });
});
server.keepAliveTimeout = 72_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
process.stdout.write(
  `${JSON.stringify({ ready: true, url: `${base}/sellers/authenticate`, stats: `${base}/stats`, sellers, password })}\n`,
);
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
