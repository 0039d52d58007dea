import { after, before, describe } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { createApp } from '../../src/apps/apps.js';
import { authorizeThroughForms, FormClient, postForm } from './browserless.js';
import { testDialects } from './databases.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

/**
 * Run a black-box suite once per database dialect (SQLite always, PostgreSQL when it answers),
 * each against its own fresh server. `body` gets a getter for the running server.
 */
export async function eachDialect(
  title: string,
  opts: TestServerOptions,
  body: (s: () => TestServer) => void,
): Promise<void> {
  for (const d of await testDialects()) {
    describe(`${title} (${d.name})`, { skip: d.skip }, () => {
      let server: TestServer;
      before(async () => {
        server = await startTestServer({ ...opts, db: await d.fresh() });
      });
      after(async () => server?.close());
      body(() => server);
    });
  }
}

/** An authorization URL on the standard profile for the test app. */
export function authorizeUrl(s: TestServer, extra: Record<string, string> = {}, client = s.client): string {
  return `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.appKey, redirect_uri: client.callback, state: 'st', ...extra })}`;
}

/** One logged-in browser per server, so most flows skip the (deliberately slow) password hash. */
const browsers = new WeakMap<TestServer, FormClient>();

/** Walk login (once per server) and consent; return the callback URL. */
export async function callbackFor(s: TestServer, extra: Record<string, string> = {}, client = s.client): Promise<URL> {
  let browser = browsers.get(s);
  if (!browser) browsers.set(s, (browser = new FormClient(s.url)));
  const { location } = await authorizeThroughForms(s.url, authorizeUrl(s, extra, client), {
    username: s.seller.username,
    password: s.seller.password,
    client: browser,
  });
  return new URL(location);
}

/** A fresh authorization code for the test app. */
export async function codeFor(s: TestServer, extra: Record<string, string> = {}, client = s.client): Promise<string> {
  const code = (await callbackFor(s, extra, client)).searchParams.get('code');
  if (!code) throw new Error('no code in the callback');
  return code;
}

/** POST to the token endpoint with client_secret_post credentials. */
export function token(s: TestServer, form: Record<string, string>, client = s.client) {
  return postForm(`${s.url}/oauth/token`, { client_id: client.appKey, client_secret: client.appSecret, ...form });
}

/** Exchange a code for tokens. */
export function exchange(s: TestServer, code: string, extra: Record<string, string> = {}, client = s.client) {
  return token(s, { grant_type: 'authorization_code', code, redirect_uri: client.callback, ...extra }, client);
}

/** A complete token response (code flow). */
export async function tokensFor(
  s: TestServer,
  client = s.client,
): Promise<{ access_token: string; refresh_token: string }> {
  const res = await exchange(s, await codeFor(s, {}, client), {}, client);
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.text}`);
  return res.json;
}

/** Does an access token still open the protected resource? */
export async function accessWorks(s: TestServer, accessToken: string): Promise<boolean> {
  const res = await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status === 200;
}

/** Register another live app on the server (same callback unless given). */
export async function anotherApp(s: TestServer, opts: { callback?: string; appSecret?: string } = {}) {
  const callback = opts.callback ?? s.client.callback;
  const created = await createApp(s.core.storage, s.core.secretKey, {
    name: 'Other App',
    callbacks: [callback],
    appSecret: opts.appSecret,
  });
  return { appKey: created.appKey, appSecret: created.appSecret, callback };
}

/** A PKCE pair (RFC 7636 §4.1, §4.2, S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Basic credentials as RFC 6749 §2.3.1 builds them (form-urlencoded, then base64). */
export function basicAuth(id: string, secret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** The invalid_grant body for a bad code. */
export const BAD_CODE = { error: 'invalid_grant', error_description: 'the authorization code is invalid or expired' };
