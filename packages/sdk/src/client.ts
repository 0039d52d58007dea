import { resolveDialect, type Dialect } from './dialects.js';
import { ApiError, NotAuthorizedError, OAuthError, ShouquanError, isInvalidGrant } from './errors.js';
import { createPkce, randomState } from './pkce.js';
import { formatTimestamp, paramText, signParams, type ParamValue, type SignMethod } from './sign.js';
import { MemoryTokenStore, type TokenSet, type TokenStore } from './token-store.js';

/** First segments of the gateway's methods, written without the profile's prefix. */
const RELATIVE_METHOD_ROOTS = new Set(['store', 'products', 'orders', 'auth']);

export interface ShouquanClientOptions {
  /** The server's base URL, e.g. `https://auth.example.com` (no trailing path). */
  baseUrl: string;
  /** The app's AppKey (`client_id`). */
  appKey: string;
  /** The app's AppSecret (`client_secret`): server side only, never in a browser. */
  appSecret: string;
  /**
   * The server profile (`standard`, `perfee`, `meilishuo`, `mogujie`, `realshark`, `smallec`) or a dialect description.
   */
  profile?: string | Dialect;
  /** Default redirect URI (must be registered for the app). */
  redirectUri?: string;
  /** The server's issuer (RFC 8414), compared with the callback's `iss` (RFC 9207); default `baseUrl`. */
  issuer?: string;
  /** Where tokens are kept; default an in-memory store. */
  tokenStore?: TokenStore;
  /** Refresh this long before the access token expires (default 60 s). */
  refreshSkewMs?: number;
  /** Default router `sign_method` (default `hmac-sha256`). */
  signMethod?: SignMethod;
  /** fetch implementation (default the global one). */
  fetch?: typeof fetch;
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number;
}

export interface AuthorizeUrlOptions {
  redirectUri?: string;
  /** Default: a fresh random value. Store it with the user's session and compare on return. */
  state?: string;
  scope?: string;
  /** Send a PKCE S256 challenge (default: the dialect's choice, on for `standard`). */
  pkce?: boolean;
  /** Further parameters, e.g. `{ view: 'wap' }` on smallec. */
  extra?: Record<string, string>;
}

export interface AuthorizeRequest {
  url: string;
  state: string;
  /** Keep it server-side with the state; pass it to {@link ShouquanClient.exchangeCode}. */
  codeVerifier?: string;
  redirectUri?: string;
}

export interface ExchangeOptions {
  code: string;
  redirectUri?: string;
  codeVerifier?: string;
  /** Save the tokens in the token store under this key. */
  key?: string;
}

export interface CallOptions {
  /** Use the tokens stored under this key as `session` (refreshed first when about to expire). */
  key?: string;
  /** Or pass the access token directly. */
  session?: string;
  signMethod?: SignMethod;
  /** Send with GET instead of POST (the router accepts both). */
  httpMethod?: 'GET' | 'POST';
}

export interface RestOptions {
  key?: string;
  accessToken?: string;
  method?: string;
  query?: Record<string, ParamValue>;
  /** Sent as JSON. */
  body?: unknown;
}

/**
 * A client for one app on one Shouquan server (or platform dialect): the authorization code
 * flow (RFC 6749 §4.1) with PKCE (RFC 7636) and state, token refresh (§6) with single-flight,
 * revocation (RFC 7009), signed router calls and bearer REST calls (RFC 6750).
 */
export class ShouquanClient {
  readonly dialect: Dialect;
  readonly tokenStore: TokenStore;
  private readonly baseUrl: string;
  private readonly appKey: string;
  private readonly appSecret: string;
  private readonly redirectUri: string | undefined;
  private readonly issuer: string;
  private readonly skewMs: number;
  private readonly signMethod: SignMethod;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  /** Refreshes in flight, by key: concurrent callers share one. */
  private readonly inflight = new Map<string, Promise<TokenSet>>();

  constructor(opts: ShouquanClientOptions) {
    if (!opts.baseUrl) throw new TypeError('baseUrl is required, e.g. https://auth.example.com');
    if (!opts.appKey || !opts.appSecret)
      throw new TypeError('appKey and appSecret are required (shown once by "shouquan app create")');
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.appKey = opts.appKey;
    this.appSecret = opts.appSecret;
    this.dialect = resolveDialect(opts.profile);
    this.redirectUri = opts.redirectUri;
    this.issuer = (opts.issuer ?? this.baseUrl).replace(/\/+$/, '');
    this.tokenStore = opts.tokenStore ?? new MemoryTokenStore();
    this.skewMs = opts.refreshSkewMs ?? 60_000;
    this.signMethod = opts.signMethod ?? 'hmac-sha256';
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.now = opts.now ?? Date.now;
  }

  /** The URL to send the seller's browser to (RFC 6749 §4.1.1), with state and, by default on `standard`, PKCE. */
  authorizeUrl(opts: AuthorizeUrlOptions = {}): AuthorizeRequest {
    const d = this.dialect;
    const redirectUri = opts.redirectUri ?? this.redirectUri;
    if (redirectUri === undefined && d.authorize.required.includes('redirect_uri')) {
      throw new ShouquanError(
        `the ${d.name} profile requires redirect_uri: pass redirectUri to the client or to authorizeUrl()`,
        { kind: 'client' },
      );
    }
    const state = opts.state ?? randomState();
    const q = new URLSearchParams({ response_type: 'code', [d.params.clientId]: this.appKey });
    if (redirectUri !== undefined) q.set('redirect_uri', redirectUri);
    q.set('state', state);
    const scope = opts.scope ?? (d.authorize.required.includes('scope') ? d.authorize.defaultScope : undefined);
    if (scope !== undefined) q.set('scope', scope);
    let codeVerifier: string | undefined;
    if (opts.pkce ?? d.authorize.pkce) {
      const pkce = createPkce();
      codeVerifier = pkce.codeVerifier;
      q.set('code_challenge', pkce.codeChallenge);
      q.set('code_challenge_method', pkce.codeChallengeMethod);
    }
    for (const [k, v] of Object.entries(opts.extra ?? {})) q.set(k, v);
    const out: AuthorizeRequest = { url: `${this.baseUrl}${d.paths.authorize}?${q}`, state };
    if (codeVerifier !== undefined) out.codeVerifier = codeVerifier;
    if (redirectUri !== undefined) out.redirectUri = redirectUri;
    return out;
  }

  /**
   * Handle the redirect back to your callback (RFC 6749 §4.1.2): check `state`, turn an
   * `error` into an {@link OAuthError}, check `iss` when present (RFC 9207), and exchange the code.
   * `callbackUrl` is the full URL the browser came back to, or just its path and query as your
   * framework hands it over (`req.url`, e.g. `/callback?code=…&state=…`), resolved against the
   * configured `redirectUri` (of this call or of the client).
   */
  async handleCallback(
    callbackUrl: string | URL,
    expected: { state: string; codeVerifier?: string; redirectUri?: string; key?: string },
  ): Promise<TokenSet> {
    const u = this.callbackUrl(callbackUrl, expected.redirectUri ?? this.redirectUri);
    const state = u.searchParams.get('state');
    if (state !== expected.state)
      throw new ShouquanError("the callback's state does not match the one sent: start the authorization again", {
        kind: 'client',
      });
    const error = u.searchParams.get('error');
    if (error !== null) {
      const description = u.searchParams.get('error_description') ?? undefined;
      throw new OAuthError(description ? `${error}: ${description}` : error, {
        kind: 'oauth',
        error,
        ...(description ? { errorDescription: description } : {}),
      });
    }
    const iss = u.searchParams.get('iss');
    if (iss !== null && iss.replace(/\/+$/, '') !== this.issuer) {
      throw new ShouquanError(
        `the callback comes from issuer ${iss}, not ${this.issuer} (RFC 9207 mix-up defence; set the issuer option if the server's issuer differs from baseUrl)`,
        { kind: 'client' },
      );
    }
    const code = u.searchParams.get('code');
    if (!code) throw new ShouquanError('the callback carries neither code nor error', { kind: 'client' });
    const opts: ExchangeOptions = { code };
    if (expected.codeVerifier !== undefined) opts.codeVerifier = expected.codeVerifier;
    const redirectUri = expected.redirectUri ?? this.redirectUri ?? `${u.origin}${u.pathname}`;
    opts.redirectUri = redirectUri;
    if (expected.key !== undefined) opts.key = expected.key;
    return this.exchangeCode(opts);
  }

  /** The callback as an absolute URL: as given, or a path resolved against the redirect URI. */
  private callbackUrl(callbackUrl: string | URL, redirectUri: string | undefined): URL {
    if (callbackUrl instanceof URL) return callbackUrl;
    if (typeof callbackUrl !== 'string')
      throw new ShouquanError(
        `handleCallback() needs the callback URL as a string or URL, got ${callbackUrl === null ? 'null' : typeof callbackUrl}`,
        { kind: 'client' },
      );
    if (URL.canParse(callbackUrl)) return new URL(callbackUrl);
    // Only the part before the query goes into messages: the query carries the code.
    const shown = JSON.stringify(callbackUrl.split('?')[0]!.slice(0, 100));
    if (redirectUri === undefined) {
      throw new ShouquanError(
        `handleCallback() got ${shown}, which is not an absolute URL: pass the full callback URL (e.g. https://isv.example.com/callback?code=…&state=…), ` +
          `or set redirectUri (on the client or in this call) so that a path such as req.url is resolved against it`,
        { kind: 'client' },
      );
    }
    if (!URL.canParse(redirectUri))
      throw new ShouquanError(
        `the redirectUri ${JSON.stringify(redirectUri)} is not an absolute URL (e.g. https://isv.example.com/callback)`,
        { kind: 'client' },
      );
    return new URL(callbackUrl, redirectUri);
  }

  /** Swap an authorization code for tokens (RFC 6749 §4.1.3), in the dialect's method and parameter names. */
  async exchangeCode(opts: ExchangeOptions): Promise<TokenSet> {
    const d = this.dialect;
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code: opts.code,
      [d.params.clientId]: this.appKey,
      [d.params.clientSecret]: this.appSecret,
    };
    const redirectUri = opts.redirectUri ?? this.redirectUri;
    if (redirectUri !== undefined) form.redirect_uri = redirectUri;
    if (opts.codeVerifier !== undefined) form.code_verifier = opts.codeVerifier;
    const body = await this.tokenRequest(d.token.exchangeMethod, form);
    const tokens = this.toTokenSet(body, undefined);
    if (opts.key !== undefined) await this.tokenStore.set(opts.key, tokens);
    return tokens;
  }

  /**
   * Refresh the tokens stored under `key` (RFC 6749 §6) and store the new ones. Concurrent
   * calls for one key share a single request. If the server refuses the refresh token
   * (`invalid_grant`) and the store meanwhile holds another one (a refresh that won the race
   * elsewhere), the store's tokens are used, or refreshed once more if they are stale too.
   */
  refresh(key: string): Promise<TokenSet> {
    return this.singleFlight(key, undefined);
  }

  /** A valid access token for `key`, refreshed first when it expires within the skew. */
  async getAccessToken(key: string): Promise<string> {
    return (await this.getTokens(key)).accessToken;
  }

  /** The tokens for `key`, refreshed first when the access token expires within the skew. */
  async getTokens(key: string): Promise<TokenSet> {
    const current = await this.tokenStore.get(key);
    if (!current)
      throw new NotAuthorizedError(`no tokens stored for "${key}": the seller must connect the store first`, {
        kind: 'client',
      });
    if (!this.isStale(current)) return current;
    return this.singleFlight(key, current.accessToken);
  }

  /**
   * The stores the seller's token covers (`GET /api/v1/stores`): the values `store_id` takes on
   * every store-scoped call. A seller may tick several stores on the consent page; with more
   * than one, pass `store_id` to `call()` and `rest()`.
   */
  async stores(key: string): Promise<Array<{ store_id: number; name: string }>> {
    const out = await this.rest<{ stores: Array<{ store_id: number; name: string }> }>('/api/v1/stores', { key });
    return out.stores;
  }

  /** Revoke the tokens of `key` (RFC 7009) and forget them. Revoking the refresh token ends the whole grant. */
  async revoke(key: string): Promise<void> {
    const current = await this.tokenStore.get(key);
    if (current)
      await this.revokeToken(
        current.refreshToken ?? current.accessToken,
        current.refreshToken ? 'refresh_token' : 'access_token',
      );
    await this.tokenStore.delete(key);
  }

  /** Revoke one token (RFC 7009 §2.1). */
  async revokeToken(token: string, hint?: 'access_token' | 'refresh_token'): Promise<void> {
    const d = this.dialect;
    const form: Record<string, string> = {
      token,
      [d.params.clientId]: this.appKey,
      [d.params.clientSecret]: this.appSecret,
    };
    if (hint) form.token_type_hint = hint;
    await this.post(d.paths.revoke, form, 'oauth');
  }

  /** Ask the server about a token (RFC 7662). */
  async introspect(token: string): Promise<Record<string, unknown> & { active: boolean }> {
    const d = this.dialect;
    const form = { token, [d.params.clientId]: this.appKey, [d.params.clientSecret]: this.appSecret };
    return (await this.post(d.paths.introspect, form, 'oauth')) as Record<string, unknown> & { active: boolean };
  }

  /**
   * Call a router method, signed with the AppSecret (TOP convention): `call('shouquan.store.get', {}, { key })`.
   * A method name without a dot-prefix gets the dialect's (`store.get` → `psdm.store.get` on smallec).
   * Returns the inside of `<method>_response`; an `error_response` throws an {@link ApiError}.
   */
  async call<T = Record<string, unknown>>(
    method: string,
    params: Record<string, ParamValue> = {},
    opts: CallOptions = {},
  ): Promise<T> {
    const full = this.methodName(method);
    let session = opts.session;
    if (session === undefined && opts.key !== undefined) session = await this.getAccessToken(opts.key);
    const signed = this.signedParams(full, params, session, opts.signMethod ?? this.signMethod);
    const url = `${this.baseUrl}${this.dialect.paths.router}`;
    let res: Response;
    try {
      res =
        opts.httpMethod === 'GET'
          ? await this.fetchImpl(`${url}?${new URLSearchParams(signed)}`, {
              method: 'GET',
              headers: { accept: 'application/json' },
            })
          : await this.fetchImpl(url, {
              method: 'POST',
              headers: {
                'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
                accept: 'application/json',
              },
              body: new URLSearchParams(signed).toString(),
            });
    } catch (e) {
      throw networkError(url, e);
    }
    const json = await readJson(res);
    const requestId = res.headers.get('x-request-id') ?? undefined;
    if (json && typeof json === 'object' && 'error_response' in json) {
      const er = (json as { error_response: Record<string, unknown> }).error_response ?? {};
      const fields = {
        kind: 'api' as const,
        status: res.status,
        code: er.code as number | string,
        msg: str(er.msg),
        subCode: str(er.sub_code),
        subMsg: str(er.sub_msg),
        requestId: str(er.request_id) ?? requestId,
        body: json,
      };
      throw new ApiError(
        `${full} failed: ${[er.code, er.msg, er.sub_code, er.sub_msg].filter((x) => x !== undefined && x !== '').join(' / ')}`,
        dropUndefined(fields),
      );
    }
    const name = `${full.replace(/\./g, '_')}_response`;
    if (!res.ok || !json || typeof json !== 'object' || !(name in json)) {
      throw new ApiError(
        `${full} answered HTTP ${res.status} without ${name}`,
        dropUndefined({ kind: 'api' as const, status: res.status, requestId, body: json }),
      );
    }
    return (json as Record<string, T>)[name] as T;
  }

  /**
   * The full router method name: `store.get` → `<prefix>.store.get`; other names (`shouquan.store.get`,
   * `taobao.item.get`) stay as they are.
   */
  methodName(method: string): string {
    return RELATIVE_METHOD_ROOTS.has(method.split('.')[0] ?? '') ? `${this.dialect.apiPrefix}.${method}` : method;
  }

  /** The signed parameter set for a router call (public parameters, `sign` last). */
  signedParams(
    method: string,
    params: Record<string, ParamValue>,
    session: string | undefined,
    signMethod: SignMethod = this.signMethod,
  ): Record<string, string> {
    const out: Record<string, string> = {
      method,
      app_key: this.appKey,
      timestamp: formatTimestamp(this.now()),
      format: 'json',
      v: '2.0',
      sign_method: signMethod,
    };
    if (session !== undefined) out.session = session;
    for (const [k, v] of Object.entries(params)) {
      const text = paramText(v);
      // Empty values are not signed (TOP convention), so they are not sent either.
      if (text !== undefined && text !== '') out[k] = text;
    }
    out.sign = signParams(out, this.appSecret, signMethod);
    return out;
  }

  /**
   * Call a bearer-protected REST API (RFC 6750 §2.1), e.g. `rest('/api/v1/store', { key })`.
   * Returns the parsed JSON; errors throw {@link OAuthError} (401 `invalid_token`…) or {@link ApiError}.
   */
  async rest<T = unknown>(path: string, opts: RestOptions = {}): Promise<T> {
    let token = opts.accessToken;
    if (token === undefined) {
      if (opts.key === undefined) throw new ShouquanError('rest() needs key or accessToken', { kind: 'client' });
      token = await this.getAccessToken(opts.key);
    }
    const url = new URL(path, `${this.baseUrl}/`);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      const text = paramText(v);
      if (text !== undefined) url.searchParams.set(k, text);
    }
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const init: RequestInit = { method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'), headers };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(url, init);
    } catch (e) {
      throw networkError(url.toString(), e);
    }
    const json = await readJson(res);
    if (!res.ok) throw errorFrom(res, json, 'api');
    return json as T;
  }

  // ---- internals ----

  private isStale(t: TokenSet): boolean {
    return t.expiresAt !== undefined && t.expiresAt - this.skewMs <= this.now();
  }

  /**
   * One refresh per key at a time in this process. `seenAccessToken`: the stale token that
   * made the caller refresh; if the store already holds another, fresh one, that is returned.
   */
  private singleFlight(key: string, seenAccessToken: string | undefined): Promise<TokenSet> {
    const running = this.inflight.get(key);
    if (running) return running;
    const run = async () => {
      const work = () => this.refreshNow(key, seenAccessToken);
      return this.tokenStore.lock ? this.tokenStore.lock(key, work) : work();
    };
    const p = run().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async refreshNow(key: string, seenAccessToken: string | undefined): Promise<TokenSet> {
    const current = await this.tokenStore.get(key);
    if (!current)
      throw new NotAuthorizedError(`no tokens stored for "${key}": the seller must connect the store first`, {
        kind: 'client',
      });
    // Someone (another process holding the lock before us) already refreshed.
    if (seenAccessToken !== undefined && current.accessToken !== seenAccessToken && !this.isStale(current))
      return current;
    if (!current.refreshToken)
      throw new NotAuthorizedError(`the tokens for "${key}" have no refresh token: the seller must authorize again`, {
        kind: 'client',
      });
    try {
      return await this.refreshWith(key, current);
    } catch (e) {
      if (!isInvalidGrant(e)) throw e;
      // Lost a race? Re-read the store: another refresh may have rotated the token.
      const again = await this.tokenStore.get(key);
      if (!again || again.refreshToken === undefined || again.refreshToken === current.refreshToken) throw e;
      if (!this.isStale(again)) return again;
      return this.refreshWith(key, again);
    }
  }

  private async refreshWith(key: string, current: TokenSet): Promise<TokenSet> {
    const d = this.dialect;
    const refreshToken = current.refreshToken!;
    let body: Record<string, unknown>;
    if (d.token.refresh.via === 'router') {
      body = await this.call(d.token.refresh.method, { refresh_token: refreshToken });
    } else {
      body = await this.tokenRequest(d.token.refresh.method, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        [d.params.clientId]: this.appKey,
        [d.params.clientSecret]: this.appSecret,
      });
    }
    const tokens = this.toTokenSet(body, current);
    await this.tokenStore.set(key, tokens);
    return tokens;
  }

  private async tokenRequest(method: 'GET' | 'POST', form: Record<string, string>): Promise<Record<string, unknown>> {
    const d = this.dialect;
    if (method === 'POST') return this.post(d.paths.token, form, 'oauth');
    const url = `${this.baseUrl}${d.paths.token}?${new URLSearchParams(form)}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, { method: 'GET', headers: { accept: 'application/json' } });
    } catch (e) {
      throw networkError(`${this.baseUrl}${d.paths.token}`, e);
    }
    return this.tokenBody(res);
  }

  private async post(path: string, form: Record<string, string>, kind: 'oauth'): Promise<Record<string, unknown>> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
      });
    } catch (e) {
      throw networkError(url, e);
    }
    if (kind === 'oauth') return this.tokenBody(res);
    return (await readJson(res)) as Record<string, unknown>;
  }

  private async tokenBody(res: Response): Promise<Record<string, unknown>> {
    const json = await readJson(res);
    const status = this.dialect.status;
    const badStatus =
      status &&
      json &&
      typeof json === 'object' &&
      status.field in json &&
      String((json as Record<string, unknown>)[status.field]) !== status.ok;
    if (!res.ok || badStatus || (json && typeof json === 'object' && 'error' in json))
      throw errorFrom(res, json, 'oauth');
    return (json ?? {}) as Record<string, unknown>;
  }

  private toTokenSet(body: Record<string, unknown>, previous: TokenSet | undefined): TokenSet {
    const d = this.dialect;
    const accessToken = str(body.access_token);
    if (!accessToken) throw new ShouquanError('the token response has no access_token', { kind: 'oauth', body });
    const now = this.now();
    const expiresIn = pick(body, d.fields.accessExpiresIn);
    const refreshIn = pick(body, d.fields.refreshExpiresIn);
    const newRefresh = str(body.refresh_token);
    const t: TokenSet = { accessToken, tokenType: str(body.token_type) ?? 'bearer', raw: body };
    if (expiresIn !== undefined) t.expiresAt = now + Number(expiresIn) * 1000;
    // A refresh that returns no refresh token keeps the old one (RFC 6749 §6; perfee does this).
    const refreshToken = newRefresh ?? previous?.refreshToken;
    if (refreshToken !== undefined) t.refreshToken = refreshToken;
    if (refreshIn !== undefined) t.refreshExpiresAt = now + Number(refreshIn) * 1000;
    else if (newRefresh === undefined && previous?.refreshExpiresAt !== undefined)
      t.refreshExpiresAt = previous.refreshExpiresAt;
    const scope = str(body.scope) ?? previous?.scope;
    if (scope !== undefined) t.scope = scope;
    const sellerId = pick(body, d.fields.sellerId) ?? previous?.sellerId;
    if (sellerId !== undefined) t.sellerId = String(sellerId);
    const storeId = pick(body, d.fields.storeId ?? []) ?? previous?.storeId;
    if (storeId !== undefined) t.storeId = String(storeId);
    return t;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function pick(body: Record<string, unknown>, names: string[]): string | number | undefined {
  for (const n of names) {
    const v = body[n];
    if (typeof v === 'number' || (typeof v === 'string' && v !== '')) return v;
  }
  return undefined;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function networkError(url: string, e: unknown): ShouquanError {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e);
  return new ShouquanError(`cannot reach ${url}: ${reason}`, { kind: 'network', cause: e });
}

/** An error from an OAuth-style or other failed answer. */
function errorFrom(res: Response, json: unknown, kind: 'oauth' | 'api'): ShouquanError {
  const requestId = res.headers.get('x-request-id') ?? undefined;
  const body = json && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  let error = str(body.error);
  let description = str(body.error_description);
  if (error === undefined) {
    // RFC 6750 §3: the error may be only in WWW-Authenticate.
    const www = res.headers.get('www-authenticate') ?? '';
    error = /error="([^"]*)"/.exec(www)?.[1];
    description ??= /error_description="([^"]*)"/.exec(www)?.[1];
  }
  const fields = dropUndefined({
    kind: error !== undefined ? ('oauth' as const) : kind,
    status: res.status,
    error,
    errorDescription: description,
    requestId,
    body: json,
  });
  const summary =
    error !== undefined
      ? `${error}${description ? `: ${description}` : ''}`
      : `HTTP ${res.status}${typeof json === 'string' && json ? `: ${json.slice(0, 200)}` : ''}`;
  const message = `${summary}${requestId ? ` (request id ${requestId})` : ''}`;
  return error !== undefined ? new OAuthError(message, fields) : new ApiError(message, fields);
}
