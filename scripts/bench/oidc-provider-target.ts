/**
 * Peer for the bench: node-oidc-provider 9 configured like Shouquan's standard profile, with its
 * in-memory adapter (issue 8's anchor: "code exchange 2.1 k, refresh with rotation 2.1 k,
 * introspection 3.1 k"). Usage: node --import tsx scripts/bench/oidc-provider-target.ts [--sellers N]
 *
 * Every configuration choice (docs/benchmarks.md, ADR 0081):
 * - one confidential client, `client_secret_post` (the same form bodies as for Shouquan),
 *   grant types `authorization_code` + `refresh_token`, response type `code`, one redirect URI;
 * - plain OAuth 2.0 requests (`scope=seller`, no `openid`): no ID token is signed at the token
 *   endpoint, as Shouquan signs none; access tokens are opaque (no resource indicator is sent, so
 *   no JWT access tokens are issued);
 * - refresh tokens for every code grant (`issueRefreshToken` returns true when the client may
 *   refresh, instead of requiring `offline_access` + `prompt=consent`) and rotated on every use
 *   (`rotateRefreshToken: true`); tokens do not end with the browser session
 *   (`expiresWithSession: false`), like Shouquan's grants;
 * - lifetimes of the standard profile: code 600 s (oidc-provider's default is 60 s), access 7200 s,
 *   refresh 30 days;
 * - PKCE not required (`pkce.required` → false): the Shouquan flow measured does not use it;
 * - introspection enabled (RFC 7662), the client introspects its own tokens with client_secret_post;
 * - storage: the default adapter's own code (`MemoryAdapter` from oidc-provider's
 *   `lib/adapters/memory_adapter.js`) with its LRU capacity raised from 1000 entries to 5 M, so that
 *   the pre-produced pool of codes and the refresh chains are not evicted before use; nothing is
 *   persisted;
 * - the login + consent interaction is a small route here: `POST /interaction/:uid/login` with a
 *   username (looked up in a Map, no password hash), which records the login and a `Grant` for the
 *   requested scope and finishes the interaction with `provider.interactionFinished`. The client
 *   then follows the redirect chain (with cookies) to the code. A browser that already has a session
 *   and a grant for the client gets a code straight from `/auth` (oidc-provider's consent reuse).
 * The bearer workload has no fair equivalent here (`/me` is OIDC userinfo, needs `openid`), so
 * that row stays empty for this peer.
 */
import { createServer } from 'node:http';
import { parse } from 'node:querystring';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';
// The default in-memory adapter and its LRU, from the package's own files (declarations: oidc-provider.d.ts).
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { readBody } from './read-body.js';

const argv = process.argv.slice(2);
const at = argv.indexOf('--sellers');
const sellerCount = at === -1 ? 64 : Number(argv[at + 1]);
const callback = 'https://isv.example.com/callback';
const clientId = 'bench-client';
const clientSecret = randomBytes(24).toString('base64url');
const accounts = new Set(Array.from({ length: sellerCount }, (_, i) => `bench${i}`));
const store = new LRU({ maxSize: 5_000_000 });

const server = createServer();
// Fastify's keep-alive (72 s) instead of node:http's 5 s, as for Shouquan and the echo: idle client
// sockets between workloads are not closed under the client's feet.
server.keepAliveTimeout = 72_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const addr = server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  adapter: (name: string) => new MemoryAdapter(name, store),
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [callback],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  scopes: ['seller'],
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  pkce: { required: () => false },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  expiresWithSession: async () => false,
  ttl: {
    AuthorizationCode: 600,
    AccessToken: 7200,
    RefreshToken: 30 * 24 * 3600,
    Session: 24 * 3600,
    Interaction: 3600,
    Grant: 30 * 24 * 3600,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (_ctx, sub) => (accounts.has(sub) ? { accountId: sub, claims: async () => ({ sub }) } : undefined),
  cookies: { keys: [randomBytes(32).toString('base64url')] },
});
// The bench talks plain HTTP on 127.0.0.1; oidc-provider would otherwise want TLS for cookies in production.
provider.proxy = true;
const callbackHandler = provider.callback();

server.on('request', async (req, res) => {
  const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec((req.url ?? '').split('?')[0]!);
  if (!m) return callbackHandler(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      // A minimal login + consent page: the client only needs to know where to post.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<form method="post" action="/interaction/${details.uid}/login"><input name="username"></form>`);
      return;
    }
    const form = parse(await readBody(req));
    const accountId = String(form.username);
    if (!accounts.has(accountId)) {
      res.writeHead(401).end();
      return;
    }
    // Login and consent in one step: the seller approves the requested scope for this client.
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string });
    if (typeof details.params.scope === 'string') grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (e) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e));
  }
});

process.stdout.write(
  `${JSON.stringify({
    ready: true,
    url: issuer,
    port,
    client: { clientId, clientSecret },
    callback,
    sellers: [...accounts],
    scope: 'seller',
    paths: { authorize: '/auth', token: '/token', introspect: '/token/introspection' },
  })}\n`,
);
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
