// Start the client demo:  npm run demo
//   With APP_SECRET set: talks to SHOUQUAN_URL (default http://127.0.0.1:7070) as APP_KEY (default 10000001).
//   Without: starts a sandbox Shouquan on SANDBOX_URL (default http://127.0.0.1:7070) in this
//   process, on SANDBOX_DATABASE (default sqlite:.tmp/client-demo.db), and uses its demo app.
import { MemoryTokenStore, ShouquanClient } from '../../packages/sdk/src/index.js';
import { createDemoHandler, listenDemo } from './app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const profile = process.env.SHOUQUAN_PROFILE ?? 'standard';
const redirectUri = process.env.REDIRECT_URI ?? `http://${host}:${port}/callback`;

let shouquanUrl = process.env.SHOUQUAN_URL ?? '';
let appKey = process.env.APP_KEY ?? '10000001';
let appSecret = process.env.APP_SECRET;
let closeSandbox: (() => Promise<void>) | undefined;
let seller = '';

if (appSecret && !shouquanUrl) shouquanUrl = 'http://127.0.0.1:7070';
if (!appSecret) {
  if (shouquanUrl) {
    console.error(
      'client-demo: set APP_SECRET too (shouquan serve --sandbox prints it as app_secret), or unset SHOUQUAN_URL to start a sandbox here.',
    );
    process.exit(2);
  }
  const { startEmbeddedSandbox } = await import('./embedded-sandbox.js');
  const u = new URL(process.env.SANDBOX_URL ?? 'http://127.0.0.1:7070');
  const sandbox = await startEmbeddedSandbox({
    host: u.hostname,
    port: Number(u.port || 80),
    profile,
    callbacks: [redirectUri],
    ...(process.env.SANDBOX_DATABASE ? { database: process.env.SANDBOX_DATABASE } : {}),
  });
  ({ url: shouquanUrl, appKey, appSecret } = sandbox);
  closeSandbox = sandbox.close;
  seller = `${sandbox.username} / ${sandbox.password}`;
}

const sdk = new ShouquanClient({
  baseUrl: shouquanUrl,
  appKey,
  appSecret,
  profile,
  redirectUri,
  tokenStore: new MemoryTokenStore(),
});
// The demo only reads: on the standard profile it asks for the read packages alone (DEMO_SCOPE overrides).
const scope = process.env.DEMO_SCOPE ?? (profile === 'standard' ? 'store.read products.read orders.read' : undefined);
const { server, url } = await listenDemo(createDemoHandler({ sdk, appSecret, scope }), host, port);

console.log(
  `Client demo on ${url}  (Shouquan ${shouquanUrl}, app ${appKey}, profile ${profile}, redirect ${redirectUri})`,
);
if (seller) console.log(`Sandbox seller to sign in with: ${seller}`);
console.log(`Open ${url}/ and click "Connect your store". Ctrl+C stops.`);

const stop = () => {
  server.close();
  void closeSandbox?.();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
