import { formatGmt8, signParams, type SignMethod } from '../../src/gateway/sign.js';
import type { TestServer } from './server.js';
import { authorizeThroughForms, postForm, readResponse } from './browserless.js';

/** Authorize the test app for one of the seller's stores and swap the code for tokens. */
export async function sellerTokens(
  s: TestServer,
  storeId: number,
): Promise<{ access_token: string; refresh_token: string; [k: string]: unknown }> {
  const url = `${s.core.profile.paths.authorize}?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback, state: 'gw' })}`;
  const { location } = await authorizeThroughForms(s.url, url, {
    username: s.seller.username,
    password: s.seller.password,
    storeId,
  });
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const res = await postForm(`${s.url}${s.core.profile.paths.token}`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: s.client.callback,
    client_id: s.client.appKey,
    client_secret: s.client.appSecret,
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${res.text}`);
  return res.json;
}

export interface TopCallOptions {
  signMethod?: SignMethod;
  secret?: string;
  /** Send as GET with everything in the query. */
  get?: boolean;
  /** Replace public parameters (e.g. a bad timestamp); `undefined` values are left out. */
  override?: Record<string, string | undefined>;
}

/**
 * A signed TOP-style call to /router/rest, as an ISV SDK makes it (public params in the query, method params in the
 * body).
 */
export async function topCall(
  s: TestServer,
  method: string,
  args: Record<string, string>,
  session?: string,
  opts: TopCallOptions = {},
) {
  const publicParams: Record<string, string | undefined> = {
    method,
    app_key: s.client.appKey,
    timestamp: formatGmt8(s.core.now()),
    v: '2.0',
    format: 'json',
    sign_method: opts.signMethod ?? 'md5',
    ...(session !== undefined && { session }),
    ...opts.override,
  };
  const pub: Record<string, string> = Object.fromEntries(
    Object.entries(publicParams).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
  const all = { ...pub, ...args };
  if (!('sign' in (opts.override ?? {})))
    pub.sign = signParams(all, opts.secret ?? s.client.appSecret, (opts.signMethod ?? 'md5') as SignMethod);
  let res: Response;
  if (opts.get) {
    res = await fetch(`${s.url}/router/rest?${new URLSearchParams({ ...pub, ...args })}`);
  } else {
    res = await fetch(`${s.url}/router/rest?${new URLSearchParams(pub)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: new URLSearchParams(args).toString(),
    });
  }
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text), text };
}

/** A REST call with a bearer token. */
export async function restCall(s: TestServer, method: string, path: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return readResponse(res);
}

/** Poll until `check` returns a value (not a timing assertion: it only bounds the wait). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  limitMs = 15_000,
): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
