/**
 * The operator admin at scale (issue 14 §3, docs/adr/0162): a SQLite database with 10,000 apps,
 * 10,000 sellers and 100,000 audit rows, the server in-process on 127.0.0.1, one signed-in
 * operator, and each /admin page requested one after another (no concurrency: the question is how
 * long one operator waits). Prints median and p95 ms per page, and SQLite's query plan of each
 * list query (they must read an index, not sort the table). Then the management API's list calls (JSON, pages of 100,
 * an operator API token), the same way.
 * Not part of `npm run bench` (run.ts): run it alone, briefly.
 * Usage: node --import tsx scripts/bench/admin-pages.ts [requests per page = 30] [apps = 10000] [audit rows = 100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { buildServer, createCoreContext, openStorage } from '../../src/runtime.js';
import { getProfile } from '../../src/profiles/registry.js';
import { createWebAccount } from '../../src/console/accounts.js';
import { FormClient, hiddenInput } from '../../test/helpers/browserless.js';
import { base32Decode, totp } from '../../src/crypto/totp.js';
import { createOperatorToken } from '../../src/management/operator-tokens.js';

const REQUESTS = Number(process.argv[2] ?? 30);
const APPS = Number(process.argv[3] ?? 10_000);
const AUDIT = Number(process.argv[4] ?? 100_000);
const SELLERS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'sq-admin-bench-'));
const file = join(dir, 'admin.db');
const url = `sqlite:${file}`;

// Schema through the real migrations, then rows in bulk straight into the file (the fill is not what is measured).
const storage0 = await openStorage(url, { createIfMissing: true });
await storage0.close();
const t0 = Date.now();
{
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  const now = Date.now();
  const statuses = ['live', 'live', 'live', 'testing', 'submitted', 'suspended'];
  const insApp = db.prepare(
    "insert into apps (app_key, name, secret_hash, callback_urls, scopes, status, created_at) values (?, ?, ?, ?, 'seller', ?, ?)",
  );
  const insSeller = db.prepare('insert into sellers (username, password_hash, created_at) values (?, ?, ?)');
  const insStore = db.prepare('insert into stores (seller_id, name, created_at) values (?, ?, ?)');
  const insAudit = db.prepare(
    'insert into audit_log (at, event, actor, app_key, seller_id, subject, detail) values (?, ?, ?, ?, ?, ?, ?)',
  );
  const events: Array<[string, string, (i: number) => string | null]> = [
    ['grant.created', 'seller:', () => null],
    ['grant.revoked', 'seller:', () => JSON.stringify({ reason: 'seller_revoked' })],
    ['console.app_status_changed', 'operator:ops', () => JSON.stringify({ from: 'submitted', to: 'live' })],
    ['app.secret_rotated', 'developer:dev', () => null],
    ['console.operator_login', 'operator:ops', () => JSON.stringify({ second_factor: 'totp' })],
  ];
  db.transaction(() => {
    for (let i = 0; i < APPS; i++) {
      insApp.run(
        String(10_000_000 + i),
        `Bench App ${String(i).padStart(5, '0')}`,
        'x'.repeat(64),
        JSON.stringify([`https://isv${i}.example.com/cb`]),
        statuses[i % statuses.length],
        now - i * 1000,
      );
    }
    for (let i = 1; i <= SELLERS; i++) {
      insSeller.run(`bench-seller-${String(i).padStart(5, '0')}`, '', now - i * 1000);
      insStore.run(i, `Bench Store ${i}`, now);
    }
    for (let i = 0; i < AUDIT; i++) {
      const [event, actor, detail] = events[i % events.length]!;
      insAudit.run(
        now - (AUDIT - i) * 100,
        event,
        actor.endsWith(':') ? `${actor}${1 + (i % SELLERS)}` : actor,
        String(10_000_000 + (i % APPS)),
        1 + (i % SELLERS),
        null,
        detail(i),
      );
    }
  })();
  // What the list queries read (EXPLAIN QUERY PLAN), as the app module and the management storage write them.
  const plans: Array<[string, string]> = [
    ['apps, first page', 'select * from apps order by app_key limit 51'],
    [
      'apps by status, after a cursor',
      "select * from apps where status = 'submitted' and app_key > '10005000' order by app_key limit 51",
    ],
    [
      'apps by name search',
      "select * from apps where lower(name) like '%app 09%' escape '\\' order by app_key limit 51",
    ],
    ['sellers, after a cursor', 'select * from sellers where seller_id > 5000 order by seller_id limit 51'],
    ['audit, newest first', 'select * from audit_log order by id desc limit 51'],
    [
      'audit by action',
      "select * from audit_log where event = 'grant.revoked' and id < 90000 order by id desc limit 51",
    ],
    ['audit by actor', "select * from audit_log where actor = 'operator:ops' order by id desc limit 51"],
  ];
  for (const [what, q] of plans) {
    const plan = (db.prepare(`explain query plan ${q}`).all() as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join('; ');
    console.log(`plan  ${what.padEnd(32)} ${plan}`);
  }
  db.close();
}
console.log(`filled ${APPS} apps, ${SELLERS} sellers, ${AUDIT} audit rows in ${Date.now() - t0} ms`);

const storage = await openStorage(url);
const core = await createCoreContext({ storage, profile: getProfile('standard'), issuer: 'http://127.0.0.1' });
const server = await buildServer({ core, logger: false });
await server.listen({ host: '127.0.0.1', port: 0 });
const addr = server.server.address();
const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
core.issuer = base;

// One operator, signed in through the real forms (password, then TOTP enrolment).
await createWebAccount(storage, { realm: 'operator', username: 'ops', password: 'operator password' });
const op = new FormClient(base);
let res = await op.get('/admin/login');
let html = await res.text();
res = await op.post('/admin/login', {
  csrf_token: hiddenInput(html, 'csrf_token')!,
  username: 'ops',
  password: 'operator password',
});
await res.arrayBuffer();
res = await op.get('/admin/login/enrol');
html = await res.text();
const secret = /id="totp-secret" type="text" readonly value="([A-Z2-7]+)"/.exec(html)![1]!;
res = await op.post('/admin/login/enrol', {
  csrf_token: hiddenInput(html, 'csrf_token')!,
  code: totp(base32Decode(secret)!, Date.now()),
});
await res.arrayBuffer();
if (res.status !== 200) throw new Error(`enrolment answered ${res.status}`);

const firstPage = await (await op.get('/admin?lang=en')).text();
const next = /<a rel="next" href="([^"]*)"/.exec(firstPage)?.[1]?.replace(/&amp;/g, '&') ?? '/admin';
const auditPage = await (await op.get('/admin/audit?lang=en')).text();
const auditNext = /<a rel="next" href="([^"]*)"/.exec(auditPage)?.[1]?.replace(/&amp;/g, '&') ?? '/admin/audit';
const pages: Array<[string, string]> = [
  ['/admin (apps, first page)', '/admin'],
  ['/admin next page (cursor)', next],
  ['/admin?status=submitted', '/admin?status=submitted'],
  ['/admin?q=app+0999 (search)', '/admin?q=app+0999'],
  ['/admin?q=no-match (full scan)', '/admin?q=no-such-app'],
  ['/admin/apps/:appKey (review)', '/admin/apps/10004242'],
  ['/admin/sellers', '/admin/sellers'],
  ['/admin/sellers?q=seller-0777', '/admin/sellers?q=seller-0777'],
  ['/admin/sellers/:id', '/admin/sellers/4242'],
  ['/admin/audit (newest)', '/admin/audit'],
  ['/admin/audit next page', auditNext],
  ['/admin/audit?action=grant.*', '/admin/audit?action=grant.*'],
  ['/admin/audit?actor=operator:ops', '/admin/audit?actor=operator%3Aops'],
  ['/admin/audit?action=app.secret_rotated', '/admin/audit?action=app.secret_rotated'],
];
console.log(`\n${REQUESTS} sequential requests per page (after 3 warm-up), ms:`);
console.log(`${'page'.padEnd(40)} ${'median'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}`);
for (const [name, path] of pages) {
  for (let i = 0; i < 3; i++) await (await op.get(path)).arrayBuffer();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const start = process.hrtime.bigint();
    const r = await op.get(path);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  console.log(
    `${name.padEnd(40)} ${at(0.5).toFixed(1).padStart(7)} ${at(0.95).toFixed(1).padStart(7)} ${times.at(-1)!.toFixed(1).padStart(7)}`,
  );
}

// The management API's list calls (issue 14 §2, issue 18 "the management API's list calls with 10,000 apps"): one
// operator API token, the same sequential requests, JSON pages of 100 with their cursors.
const { token: apiToken } = await createOperatorToken(storage, {
  name: 'bench',
  readOnly: true,
  createdBy: 'bench',
  now: Date.now(),
});
const api = async (path: string) => {
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${apiToken}` } });
  const body = (await r.json()) as { next_cursor?: string | null };
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${JSON.stringify(body)}`);
  return body;
};
const cursorOf = async (path: string) => {
  const c = (await api(path)).next_cursor;
  return c ? `${path}&cursor=${encodeURIComponent(c)}` : path;
};
const apiCalls: Array<[string, string]> = [
  ['GET /admin/api/v1/apps?limit=100', '/admin/api/v1/apps?limit=100'],
  ['  … next page (cursor)', await cursorOf('/admin/api/v1/apps?limit=100')],
  ['  ?status=submitted', '/admin/api/v1/apps?limit=100&status=submitted'],
  ['  ?q=app 0999 (search)', '/admin/api/v1/apps?limit=100&q=app%200999'],
  ['GET /admin/api/v1/sellers?limit=100', '/admin/api/v1/sellers?limit=100'],
  ['  … next page (cursor)', await cursorOf('/admin/api/v1/sellers?limit=100')],
  ['GET /admin/api/v1/audit?limit=100', '/admin/api/v1/audit?limit=100'],
  ['  … next page (cursor)', await cursorOf('/admin/api/v1/audit?limit=100')],
  ['  ?action=grant.revoked', '/admin/api/v1/audit?limit=100&action=grant.revoked'],
];
console.log(`\nmanagement API, ${REQUESTS} sequential requests per call (after 3 warm-up), ms:`);
console.log(`${'call'.padEnd(40)} ${'median'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}`);
for (const [name, path] of apiCalls) {
  for (let i = 0; i < 3; i++) await api(path);
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const start = process.hrtime.bigint();
    await api(path);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  console.log(
    `${name.padEnd(40)} ${at(0.5).toFixed(1).padStart(7)} ${at(0.95).toFixed(1).padStart(7)} ${times.at(-1)!.toFixed(1).padStart(7)}`,
  );
}
await server.close();
await storage.close();
rmSync(dir, { recursive: true, force: true });
