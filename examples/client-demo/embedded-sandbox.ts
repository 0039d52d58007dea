// For `npm run demo` without credentials: start a sandbox Shouquan in this process (what
// `shouquan serve --sandbox` does), on a SQLite file under .tmp/. Uses the repository's server
// code; an ISV's own app would point the SDK at the platform instead and never need this file.
import { mkdirSync } from 'node:fs';
import { getProfile } from '../../src/profiles/registry.js';
import { buildServer, createCoreContext, openStorage } from '../../src/runtime.js';
import { ensureSandbox } from '../../src/sandbox.js';

export interface EmbeddedSandbox {
  url: string;
  appKey: string;
  appSecret: string;
  username: string;
  password: string;
  close(): Promise<void>;
}

/**
 * Start the sandbox server on host:port with the demo app (10000001), its callbacks plus `callbacks`, and the demo
 * seller.
 */
export async function startEmbeddedSandbox(opts: {
  host: string;
  port: number;
  profile: string;
  database?: string;
  callbacks?: string[];
}): Promise<EmbeddedSandbox> {
  mkdirSync('.tmp', { recursive: true });
  const storage = await openStorage(opts.database ?? 'sqlite:.tmp/client-demo.db', { createIfMissing: true });
  const issuer = `http://${opts.host}:${opts.port}`;
  const core = await createCoreContext({ storage, profile: getProfile(opts.profile), issuer });
  // The demo's own callback (HOST:PORT) is registered too, whatever port it listens on.
  const sandbox = await ensureSandbox(storage, core.secretKey, issuer, { extraCallbacks: opts.callbacks });
  const server = await buildServer({ core, logger: false, sandbox: true });
  await server.listen({ host: opts.host, port: opts.port });
  return {
    url: issuer,
    appKey: sandbox.appKey,
    appSecret: sandbox.appSecret,
    username: sandbox.username,
    password: sandbox.password,
    async close() {
      await server.close();
      await storage.close();
    },
  };
}
