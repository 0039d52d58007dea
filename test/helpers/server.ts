import type { FastifyInstance } from 'fastify';
import { createSeller } from '../../src/admin.js';
import { createApp } from '../../src/apps/apps.js';
import type { CoreContext, Lifetimes } from '../../src/core/context.js';
import type { Profile } from '../../src/profiles/profile.js';
import { getProfile } from '../../src/profiles/registry.js';
import { buildServer, createCoreContext, openStorage } from '../../src/runtime.js';
import type { ServerOptions } from '../../src/server/app.js';
import type { StoreRecord } from '../../src/storage/ports.js';
import { freshSqlite, type TestDatabase } from './databases.js';

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:54321 (also the issuer). */
  url: string;
  core: CoreContext;
  server: FastifyInstance;
  db: TestDatabase;
  /** A live app registered with `callback`. */
  client: { appKey: string; appSecret: string; callback: string };
  /** A seller with two stores. */
  seller: { sellerId: number; username: string; password: string; stores: StoreRecord[] };
  /** Shift the server's clock forward by ms (expiry tests). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface TestServerOptions {
  profile?: string | Profile;
  db?: TestDatabase;
  lifetimes?: Partial<Lifetimes>;
  /** The app's callback; a function gets the server's URL (e.g. for its own /sandbox/callback). */
  callback?: string | ((url: string) => string);
  callbacks?: string[] | ((url: string) => string[]);
  /** The server's clock before `advance` (default Date.now); a constant freezes it. */
  now?: () => number;
  /** Open API gateway settings. */
  gateway?: import('../../src/gateway/options.js').GatewayOptions;
  /** `serve --message-broker`: the message queues in NATS JetStream (issue 16 §2). */
  messageBroker?: string;
  /** Extra buildServer options (cookieSecure, limits, …). */
  server?: Partial<Omit<ServerOptions, 'core'>>;
}

/** Start a real server on 127.0.0.1 with a fresh database, one app and one seller with two stores. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const db = opts.db ?? freshSqlite();
  const profile = typeof opts.profile === 'object' ? opts.profile : getProfile(opts.profile ?? 'standard');
  const storage = await openStorage(db.url, { createIfMissing: true, messageBroker: opts.messageBroker });
  let skew = 0;
  // The issuer needs the port, which we know only after listening: use a placeholder and patch.
  const core = await createCoreContext({
    storage,
    profile,
    issuer: 'http://127.0.0.1',
    lifetimes: opts.lifetimes,
    now: () => (opts.now ?? Date.now)() + skew,
  });
  const server = await buildServer({ core, logger: false, sandbox: true, gateway: opts.gateway, ...opts.server });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  core.issuer = url;
  const callback =
    typeof opts.callback === 'function' ? opts.callback(url) : (opts.callback ?? 'https://isv.example.com/callback');
  const callbacks = typeof opts.callbacks === 'function' ? opts.callbacks(url) : opts.callbacks;
  const created = await createApp(storage, core.secretKey, { name: 'Test App', callbacks: callbacks ?? [callback] });
  const password = 'correct horse battery';
  const seller = await createSeller(storage, { username: 'seller1', password, stores: ['Store One', 'Store Two'] });
  return {
    url,
    core,
    server,
    db,
    client: { appKey: created.appKey, appSecret: created.appSecret, callback },
    seller: { sellerId: seller.sellerId, username: 'seller1', password, stores: seller.stores },
    advance(ms) {
      skew += ms;
    },
    async close() {
      await server.close();
      await storage.close();
      await db.cleanup();
    },
  };
}
