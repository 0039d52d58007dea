/**
 * Peer for the bench: @node-oauth/oauth2-server 5 on plain `node:http` with an in-memory `Map`
 * model — issue 8's anchor set-up ("code exchange 6.8 k, refresh with rotation 6.1 k, bearer 19 k").
 * Usage: node --import tsx scripts/bench/oauth2-server-target.ts [--sellers N]
 *
 * Configuration, chosen to match Shouquan's standard profile (docs/benchmarks.md, ADR 0081):
 * - one confidential client, `client_secret` in the form body (client_secret_post), compared as a
 *   plain string (the library's usual model; Shouquan compares an HMAC of the secret);
 * - `authorization_code` and `refresh_token` grants; refresh tokens rotate on every use
 *   (`alwaysIssueNewRefreshToken: true`, the old one is deleted by `revokeToken`);
 * - code lifetime 600 s, access 7200 s, refresh 30 days (the standard profile's lifetimes);
 * - no PKCE (the Shouquan flow measured does not use it either), no scope checks;
 * - `GET /authorize` runs the library's real authorize handler; its `authenticateHandler`
 *   returns the seller from a session cookie that `POST /login` sets (username looked up in the
 *   Map, no password hash: the hash is measured on its own for Shouquan);
 * - the bearer workload is `GET /api/store` through `oauth.authenticate` (answers the seller's store).
 * Tokens are random (the library's generator), stored in Maps keyed by the token itself.
 * Prints one JSON line when ready, like the other targets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { randomBytes } from 'node:crypto';
import OAuth2Server from '@node-oauth/oauth2-server';
import { readBody } from './read-body.js';

const { Request, Response } = OAuth2Server;
const argv = process.argv.slice(2);
const at = argv.indexOf('--sellers');
const sellerCount = at === -1 ? 64 : Number(argv[at + 1]);

interface User {
  id: string;
  storeId: number;
}
interface Client {
  id: string;
  secret: string;
  grants: string[];
  redirectUris: string[];
}
interface Code {
  authorizationCode: string;
  expiresAt: Date;
  redirectUri: string;
  scope?: string[];
  client: Client;
  user: User;
}
interface Token {
  accessToken: string;
  accessTokenExpiresAt?: Date;
  refreshToken?: string;
  refreshTokenExpiresAt?: Date;
  scope?: string[];
  client: Client;
  user: User;
}

const callback = 'https://isv.example.com/callback';
const client: Client = {
  id: 'bench-client',
  secret: randomBytes(24).toString('base64url'),
  grants: ['authorization_code', 'refresh_token'],
  redirectUris: [callback],
};
const users = new Map<string, User>();
for (let i = 0; i < sellerCount; i++) users.set(`bench${i}`, { id: `bench${i}`, storeId: i + 1 });
const sessions = new Map<string, User>();
const codes = new Map<string, Code>();
const accessTokens = new Map<string, Token>();
const refreshTokens = new Map<string, Token>();

/** The in-memory model (the library's documented model interface, version 5). */
const model = {
  async getClient(clientId: string, clientSecret: string | null) {
    if (clientId !== client.id) return false;
    if (clientSecret !== null && clientSecret !== client.secret) return false;
    return client;
  },
  async saveAuthorizationCode(code: Omit<Code, 'client' | 'user'>, c: Client, user: User) {
    const saved = { ...code, client: c, user };
    codes.set(code.authorizationCode, saved);
    return saved;
  },
  async getAuthorizationCode(code: string) {
    return codes.get(code) ?? false;
  },
  async revokeAuthorizationCode(code: Code) {
    return codes.delete(code.authorizationCode);
  },
  async saveToken(token: Omit<Token, 'client' | 'user'>, c: Client, user: User) {
    const saved = { ...token, client: c, user };
    accessTokens.set(saved.accessToken, saved);
    if (saved.refreshToken) refreshTokens.set(saved.refreshToken, saved);
    return saved;
  },
  async getAccessToken(accessToken: string) {
    return accessTokens.get(accessToken) ?? false;
  },
  async getRefreshToken(refreshToken: string) {
    return refreshTokens.get(refreshToken) ?? false;
  },
  async revokeToken(token: Token) {
    return refreshTokens.delete(token.refreshToken!);
  },
};

const oauth = new OAuth2Server({
  model: model as unknown as OAuth2Server.AuthorizationCodeModel & OAuth2Server.RefreshTokenModel,
  accessTokenLifetime: 7200,
  refreshTokenLifetime: 30 * 24 * 3600,
  authorizationCodeLifetime: 600,
  alwaysIssueNewRefreshToken: true,
  requireClientAuthentication: { authorization_code: true, refresh_token: true },
});

function send(res: ServerResponse, r: InstanceType<typeof Response>): void {
  res.writeHead(r.status ?? 200, {
    ...(r.headers as Record<string, string>),
    'content-type': r.headers?.location ? 'text/plain' : 'application/json',
  });
  res.end(r.headers?.location ? '' : JSON.stringify(r.body));
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === name) return v;
  }
  return undefined;
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = Object.fromEntries(url.searchParams);
  try {
    if (req.method === 'POST' && url.pathname === '/token') {
      const body = parse(await readBody(req));
      const request = new Request({ method: 'POST', headers: req.headers as Record<string, string>, query, body });
      const response = new Response({ headers: {} });
      try {
        await oauth.token(request, response);
      } catch {
        // The library has filled in the error status and body.
      }
      return send(res, response);
    }
    if (req.method === 'GET' && url.pathname === '/api/store') {
      const request = new Request({ method: 'GET', headers: req.headers as Record<string, string>, query });
      const response = new Response({ headers: {} });
      try {
        const token = (await oauth.authenticate(request, response)) as unknown as Token;
        response.body = { store_id: token.user.storeId, seller: token.user.id };
      } catch (e) {
        // The library sets WWW-Authenticate; status and body come from its error (as its framework adapters do).
        const err = e as { code?: number; name?: string; message?: string };
        response.status = err.code ?? 500;
        response.body = { error: err.name, error_description: err.message };
      }
      return send(res, response);
    }
    if (req.method === 'POST' && url.pathname === '/login') {
      const form = parse(await readBody(req));
      const user = users.get(String(form.username));
      if (!user) {
        res.writeHead(401).end();
        return;
      }
      const sid = randomBytes(16).toString('base64url');
      sessions.set(sid, user);
      res.writeHead(204, { 'set-cookie': `sid=${sid}; Path=/; HttpOnly` }).end();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const request = new Request({ method: 'GET', headers: req.headers as Record<string, string>, query, body: {} });
      const response = new Response({ headers: {} });
      const user = sessions.get(cookie(req, 'sid') ?? '');
      try {
        await oauth.authorize(request, response, {
          authenticateHandler: { handle: () => user },
        });
      } catch {
        // Redirect with the error (or error body) set by the library.
      }
      return send(res, response);
    }
    res.writeHead(404).end();
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
  }
});

// Fastify's keep-alive (72 s) instead of node:http's 5 s, as for Shouquan and the echo.
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const ready = {
    ready: true,
    url: `http://127.0.0.1:${port}`,
    port,
    client: { clientId: client.id, clientSecret: client.secret },
    callback,
    sellers: [...users.keys()],
    paths: { authorize: '/authorize', token: '/token', login: '/login', bearer: '/api/store' },
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
