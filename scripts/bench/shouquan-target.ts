/**
 * One Shouquan server for the bench, in its own process (the orchestrator pins it to a core).
 * Usage: node --import tsx scripts/bench/shouquan-target.ts <database-url> [--fill N]
 *
 * Starts the real server (standard profile, logger off), registers the bench apps and sellers
 * through the admin functions, optionally fills the tokens table with N unrelated live tokens
 * (for the 1 M / 10 M workloads), and prints one JSON line with everything the load generator
 * needs. Codes and tokens are NOT made here: the orchestrator gets them through the HTTP flows.
 */
import { createApp, createSeller } from '../../src/admin.js';
import { hashPassword } from '../../src/crypto/password.js';
import { getProfile } from '../../src/profiles/registry.js';
import { buildServer, createCoreContext, openStorage } from '../../src/runtime.js';
import { fillTokens } from './fill.js';

const [url, ...rest] = process.argv.slice(2);
if (!url) throw new Error('usage: shouquan-target.ts <database-url> [--fill N] [--sellers N]');
const flag = (name: string, def: number) => {
  const i = rest.indexOf(name);
  return i === -1 ? def : Number(rest[i + 1]);
};
const fill = flag('--fill', 0);
const sellerCount = flag('--sellers', 64);

const storage = await openStorage(url, { createIfMissing: true });
const core = await createCoreContext({ storage, profile: getProfile('standard'), issuer: 'http://127.0.0.1' });
const server = await buildServer({ core, logger: false });
await server.listen({ host: '127.0.0.1', port: 0 });
const addr = server.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
core.issuer = `http://127.0.0.1:${port}`;

const callback = 'https://isv.example.com/callback';
// Three apps so that workloads do not end each other's grants (one live grant per seller and app).
const apps: Record<string, { appKey: string; appSecret: string }> = {};
for (const role of ['exchange', 'refresh', 'access']) apps[role] = await createApp(storage, core.secretKey, { name: `Bench ${role}`, callbacks: [callback] });
const password = 'bench-password-1';
// The first seller through the admin path (argon2id); the others share its hash so the set-up does
// not spend minutes hashing. Every seller still logs in through the real login form.
const first = await createSeller(storage, { username: 'bench0', password, stores: ['Store 0'] });
const sellers = [{ username: 'bench0', sellerId: first.sellerId }];
const hash = await hashPassword(password);
for (let i = 1; i < sellerCount; i++) {
  const made = await storage.sellers.create({ username: `bench${i}`, passwordHash: hash, createdAt: Date.now() }, [`Store ${i}`]);
  sellers.push({ username: `bench${i}`, sellerId: made.seller.sellerId });
}
if (fill > 0) {
  const filler = await createApp(storage, core.secretKey, { name: 'Bench filler', callbacks: [callback] });
  await fillTokens(url, fill, filler.appKey);
}

process.stdout.write(`${JSON.stringify({ ready: true, url: core.issuer, port, apps, sellers, password, callback })}\n`);
const stop = async () => {
  await server.close();
  await storage.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
