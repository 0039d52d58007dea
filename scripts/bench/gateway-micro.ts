/**
 * In-process A/B of the two gateway hot paths (issue 18, docs/adr/0188): the bearer call
 * (`GET /api/v1/store`) and the signed router call (`shouquan.store.get`, md5 and hmac-sha256
 * alternating), through Fastify's `inject` (no sockets: the HTTP parser and `writev` are left out,
 * so the server's own work weighs more), SQLite, C calls in flight. With a second tree given, its
 * server runs in the same process and the two are measured in alternating batches, so a busy
 * machine slows both alike. Prints the CPU µs per call (this process: server and the inject
 * client) of each batch and the median per tree.
 * Usage: node --import tsx scripts/bench/gateway-micro.ts [calls=2000] [rounds=10] [concurrency=16]
 * MICRO_TREES=dirA,dirB: the checkouts to compare (default: this one alone); each needs node_modules.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CALLS = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 10);
const CONC = Number(process.argv[4] ?? 16);
const trees = (process.env.MICRO_TREES ?? resolve(import.meta.dirname, '../..')).split(',').map((t) => resolve(t));

interface Side {
  name: string;
  bearer: () => Promise<void>;
  router: () => Promise<void>;
  close(): Promise<void>;
}

async function side(root: string, name: string): Promise<Side> {
  const imp = (p: string) => import(pathToFileURL(`${root}/${p}`).href);
  const { startTestServer } = await imp('test/helpers/server.ts');
  const { sellerTokens } = await imp('test/helpers/gateway.ts');
  const { formatGmt8, signParams } = await imp('src/gateway/sign.ts');
  const s = await startTestServer({ gateway: { defaultQuotaPerSecond: 1e9, defaultQuotaPerDay: 1e12 } });
  // Sellers with one store each, as in the bench (a grant of one store: no store_id argument).
  const { createSeller } = await imp('src/admin.ts');
  const tokens: string[] = [];
  for (let i = 0; i < 8; i++) {
    const seller = await createSeller(s.core.storage, {
      username: `micro${i}`,
      password: s.seller.password,
      stores: [`Store ${i}`],
    });
    const one = { ...s, seller: { ...s.seller, ...seller, username: `micro${i}` } };
    tokens.push((await sellerTokens(one, seller.stores[0].storeId)).access_token);
  }
  const bodies = tokens.flatMap((session) =>
    ['md5', 'hmac-sha256'].map((signMethod) => {
      const params = {
        method: 'shouquan.store.get',
        app_key: s.client.appKey,
        session,
        timestamp: formatGmt8(Date.now()),
        v: '2.0',
        format: 'json',
        sign_method: signMethod,
      };
      return new URLSearchParams({ ...params, sign: signParams(params, s.client.appSecret, signMethod) }).toString();
    }),
  );
  let i = 0;
  const check = (body: string, expect: string) => {
    if (!body.includes(expect)) throw new Error(`${name}: unexpected answer ${body.slice(0, 200)}`);
  };
  return {
    name,
    bearer: async () => {
      const res = await s.server.inject({
        method: 'GET',
        url: '/api/v1/store',
        headers: { authorization: `Bearer ${tokens[i++ % tokens.length]}` },
      });
      check(res.body, '"store_id"');
    },
    router: async () => {
      const res = await s.server.inject({
        method: 'POST',
        url: '/router/rest',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
        payload: bodies[i++ % bodies.length],
      });
      check(res.body, '"shouquan_store_get_response"');
    },
    close: () => s.close(),
  };
}

async function batch(fn: () => Promise<void>, n: number): Promise<number> {
  let left = n;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (left-- > 0) await fn();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

const sides: Side[] = [];
for (const t of trees) sides.push(await side(t, t));
const results = new Map<string, number[]>();
for (const s of sides) for (const w of ['bearer', 'router'] as const) await batch(s[w], 500); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? sides : [...sides].reverse();
  for (const w of ['bearer', 'router'] as const)
    for (const s of order) {
      const us = await batch(s[w], CALLS);
      const key = `${w}\t${s.name}`;
      results.set(key, [...(results.get(key) ?? []), us]);
    }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [key, xs] of results)
  console.log(`${key}\tmedian ${median(xs).toFixed(1)} µs/call\t${xs.map((x) => x.toFixed(0)).join(' ')}`);
for (const s of sides) await s.close();
process.exit(0);
