import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/apps/apps.js';
import type { Profile } from '../../src/profiles/profile.js';
import { authorizeThroughForms, FormClient, readResponse } from '../helpers/browserless.js';
import type { TestServer } from '../helpers/server.js';

/** 32 lower-case hex characters: the token shape the seed docs show (`6a42dbd2ef9cf3489a4913039838e12b`). */
export const HEX32 = /^[0-9a-f]{32}$/;

/** Register the app a seed doc's examples use (its own app key, secret and callback). */
export async function registerDocApp(s: TestServer, app: { appKey: string; appSecret?: string; callbacks: string[] }) {
  const created = await createApp(s.core.storage, s.core.secretKey, { name: 'Doc Example App', ...app });
  return { appKey: created.appKey, appSecret: created.appSecret, callbacks: app.callbacks };
}

/** What `curl -d A -d B URL` sends: the pieces joined by `&`, unencoded, as a form body. */
export async function curlData(url: string, pieces: string[]) {
  return fetchJson(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: pieces.join('&'),
  });
}

/** fetch, returning status, headers, the body text and its JSON when it is JSON. */
export async function fetchJson(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return readResponse(res);
}

/** The store an access token opens at the sample API (proves the token is live, and for which store). */
export async function storeOf(s: TestServer, accessToken: string) {
  const res = await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: res.status === 200 ? await res.json() : undefined };
}

/** Assert a body has exactly these keys, in this order, with these JS types. */
export function assertShape(body: Record<string, unknown>, shape: Array<[string, 'string' | 'number']>) {
  assert.deepEqual(
    Object.keys(body),
    shape.map(([k]) => k),
  );
  for (const [k, type] of shape) assert.equal(typeof body[k], type, `${k} should be a ${type}`);
}

/** The name this profile gives a response source in its code-exchange answer. */
export function fieldFor(profile: Profile, from: string): string {
  const f = profile.responses.code.find((x) => 'from' in x && x.from === from);
  if (!f) throw new Error(`profile ${profile.name} has no field from ${from}`);
  return f.name;
}

export interface KitOptions {
  /** The server under test (read lazily: it is started in `before`). */
  server: () => TestServer;
  /** An app of that server: key, secret and the redirect_uri to use. */
  app: () => { appKey: string; appSecret: string; redirectUri: string };
  /** The authorize URL for a code request with extra parameters (profile's own spelling). */
  authorizeUrl: (extra?: Record<string, string>) => string;
}

/** Exchange a code with a POST form in the profile's own parameter names; returns the JSON body. */
export async function exchangeCode(
  s: TestServer,
  appKey: string,
  appSecret: string,
  code: string,
  redirectUri: string,
) {
  const p = s.core.profile;
  const res = await fetchJson(`${s.url}${p.paths.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      [p.params.clientId[0]!]: appKey,
      [p.params.clientSecret[0]!]: appSecret,
    }).toString(),
  });
  assert.equal(res.status, 200, res.text);
  return res.json as Record<string, unknown>;
}

/**
 * Behaviour every profile shares (issue 3, "All profiles"): cancel goes back with `error` and
 * `error_description`; one live authorization per seller and AppKey; an unexpected error shows
 * the default error page without a stack trace.
 */
export function sharedProfileBehaviour(k: KitOptions) {
  it('cancel returns error and error_description to the callback', async () => {
    const s = k.server();
    const { location } = await authorizeThroughForms(s.url, k.authorizeUrl({ state: 'cancel-1' }), {
      username: s.seller.username,
      password: s.seller.password,
      decision: 'deny',
    });
    const cb = new URL(location);
    assert.equal(`${cb.origin}${cb.pathname}`, new URL(k.app().redirectUri).href.replace(/[?#].*$/, ''));
    assert.equal(cb.searchParams.get('error'), 'access_denied');
    assert.equal(cb.searchParams.get('error_description'), 'the seller declined to authorize the app');
    assert.equal(cb.searchParams.get('state'), 'cancel-1');
    assert.equal(cb.searchParams.get('code'), null);
  });

  it('one live authorization per seller and AppKey: a new one ends the old tokens', async () => {
    const s = k.server();
    const app = k.app();
    const accessName = fieldFor(s.core.profile, 'access_token');
    const tokens: string[] = [];
    let client: FormClient | undefined;
    for (const storeIndex of [0, 1]) {
      const r = await authorizeThroughForms(s.url, k.authorizeUrl({ state: `live-${storeIndex}` }), {
        username: s.seller.username,
        password: s.seller.password,
        storeId: s.seller.stores[storeIndex]!.storeId,
        client,
      });
      client = r.client;
      const code = new URL(r.location).searchParams.get('code')!;
      const body = await exchangeCode(s, app.appKey, app.appSecret, code, app.redirectUri);
      tokens.push(body[accessName] as string);
    }
    assert.equal((await storeOf(s, tokens[0]!)).status, 401, 'the first authorization ended');
    assert.deepEqual(await storeOf(s, tokens[1]!), {
      status: 200,
      body: { store_id: s.seller.stores[1]!.storeId, name: 'Store Two' },
    });
  });

  it('an unexpected error shows the default error page, never a stack trace', async () => {
    const s = k.server();
    const apps = s.core.storage.apps;
    const original = apps.find;
    apps.find = async () => {
      throw new Error('database exploded at /secret/path.ts:12');
    };
    try {
      const res = await fetch(`${s.url}${k.authorizeUrl()}`, { redirect: 'manual', headers: { accept: 'text/html' } });
      assert.equal(res.status, 500);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const page = await res.text();
      assert.ok(!page.includes('exploded') && !page.includes('/secret/path.ts') && !/\bat \S+ \(/.test(page), page);
      assert.match(page, new RegExp(s.core.profile.title));
    } finally {
      apps.find = original;
    }
  });
}

/**
 * `GET /.well-known/oauth-authorization-server` (RFC 8414) equals the expected document, and
 * every endpoint it advertises is really served (answers with its own error, not a 404).
 */
export async function assertMetadata(s: TestServer, expected: Record<string, unknown>) {
  const res = await fetchJson(`${s.url}/.well-known/oauth-authorization-server`);
  assert.equal(res.status, 200);
  const doc = res.json as Record<string, string>;
  assert.deepEqual(res.json, expected);
  const authorize = await fetch(doc.authorization_endpoint!, { redirect: 'manual' });
  assert.equal(authorize.status, 400, 'authorization endpoint answers');
  for (const key of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
    const r = await fetchJson(doc[key]!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    assert.notEqual(r.status, 404, `${key} ${doc[key]} is served`);
    assert.ok(['invalid_request', 'invalid_client'].includes(r.json?.error), `${key}: ${r.text}`);
  }
}

/** The metadata every profile shares, with the profile's own parts filled in. */
export function expectedMetadata(
  base: string,
  p: {
    authorize: string;
    token: string;
    revoke: string;
    introspect: string;
    responseTypes: string[];
    grantTypes: string[];
  },
) {
  return {
    issuer: base,
    authorization_endpoint: base + p.authorize,
    token_endpoint: base + p.token,
    revocation_endpoint: base + p.revoke,
    introspection_endpoint: base + p.introspect,
    response_types_supported: p.responseTypes,
    response_modes_supported: p.responseTypes.map((t) => (t === 'code' ? 'query' : 'fragment')),
    grant_types_supported: p.grantTypes,
    scopes_supported: ['seller'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${base}/docs`,
  };
}
