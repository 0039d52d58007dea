/**
 * In-process measurement of the seller's authorize page with a live session (issue 18):
 * authorize → interaction page → consent → code, by C browsers already logged in, N flows.
 * Server and client share this process, so the CPU µs per flow printed includes the client's
 * (the same on both sides of an A/B run: compare two trees with the same arguments).
 * Usage: node --import tsx scripts/bench/authorize-micro.ts [flows=1500] [browsers=8] [sqlite|postgres]
 */
import { startTestServer } from '../../test/helpers/server.js';
import { freshPostgres } from '../../test/helpers/databases.js';
import { FormClient, authorizeThroughForms } from '../../test/helpers/browserless.js';

const FLOWS = Number(process.argv[2] ?? 1500);
const BROWSERS = Number(process.argv[3] ?? 8);
const dialect = process.argv[4] ?? 'sqlite';

const s = await startTestServer(dialect === 'postgres' ? { db: await freshPostgres() } : {});
const url = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'bench' })}`;
const opts = { username: s.seller.username, password: s.seller.password, storeId: s.seller.stores[0]!.storeId };
const browsers = Array.from({ length: BROWSERS }, () => new FormClient(s.url));
// Log each browser in once (argon2 is not part of the measured flow).
for (const client of browsers) await authorizeThroughForms(s.url, url, { ...opts, client });
const flow = async (client: FormClient) => {
  const { location } = await authorizeThroughForms(s.url, url, { ...opts, client });
  if (!location.includes('code=')) throw new Error(`no code: ${location}`);
};
// Warm-up, then the measured flows.
await Promise.all(
  browsers.map(async (b) => {
    for (let i = 0; i < 50; i++) await flow(b);
  }),
);
let left = FLOWS;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  browsers.map(async (b) => {
    while (left-- > 0) await flow(b);
  }),
);
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${dialect}: ${FLOWS} flows, ${BROWSERS} browsers: ${((cpu.user + cpu.system) / FLOWS).toFixed(0)} µs CPU per flow (server + client), ${(FLOWS / secs).toFixed(0)} flows/s`,
);
await s.close();
