import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { FormClient } from './browserless.js';

/** One account of the test IdP: its claims (`stores` in the platform's shape). */
export interface IdpAccount {
  nickname?: string;
  stores?: Array<{ store_id: string; name: string }>;
}

/**
 * A platform's OpenID Connect IdP as a real HTTP server: node-oidc-provider 9 with its development
 * login and consent pages, one confidential client, PKCE required, and a `stores` claim (scope
 * `stores`). Listens first (so Shouquan can be configured with its issuer), then `configure`
 * registers Shouquan's redirect URI once Shouquan's port is known.
 */
export class TestIdp {
  readonly accounts = new Map<string, IdpAccount>();
  private server?: Server;
  private handler?: (req: IncomingMessage, res: ServerResponse) => void;
  issuer = '';
  /** The IdP's signing key (private JWK with `kid`): the provider signs with it, and so can a test. */
  signingKey?: JWK;
  /** Outcomes of the provider's back-channel logout calls (`success`, or the error's message). */
  readonly backchannel: string[] = [];

  constructor(
    readonly clientId = 'shouquan',
    readonly clientSecret = 'idp-client-secret-for-tests',
    /** `id_token`: the stores claim in the ID token (conformIdTokenClaims off); `userinfo`: only at userinfo. */
    readonly storesIn: 'id_token' | 'userinfo' = 'userinfo',
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (this.handler) this.handler(req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    this.signingKey = { ...(await exportJWK(privateKey)), kid: 'test-idp-key', alg: 'RS256', use: 'sig' };
    return this;
  }

  /**
   * `logout`: Shouquan's back-channel logout URI (OpenID Connect Back-Channel Logout 1.0, with `sid` required) and
   * post-logout redirect URI (RP-Initiated Logout 1.0), registered for the client.
   */
  configure(redirectUri: string, logout?: { backchannelLogoutUri: string; postLogoutRedirectUri: string }): this {
    const accounts = this.accounts;
    const provider = new Provider(this.issuer, {
      clients: [
        {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
          ...(logout
            ? {
                backchannel_logout_uri: logout.backchannelLogoutUri,
                backchannel_logout_session_required: true,
                post_logout_redirect_uris: [logout.postLogoutRedirectUri],
              }
            : {}),
        },
      ],
      jwks: { keys: [this.signingKey!] },
      // The provider refuses to call special-use addresses (SSRF protection); Shouquan listens on 127.0.0.1 here.
      fetch: (url: string | URL, options: RequestInit & { dispatcher?: unknown }) =>
        globalThis.fetch(url, { ...options, dispatcher: undefined } as RequestInit),
      claims: { openid: ['sub'], profile: ['nickname', 'name'], stores: ['stores'] },
      conformIdTokenClaims: this.storesIn === 'userinfo',
      features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: logout !== undefined } },
      pkce: { required: () => true },
      cookies: { keys: ['test-idp-cookie-key'] },
      async findAccount(_ctx, id) {
        const a = accounts.get(id);
        if (!a) return undefined;
        return { accountId: id, claims: async () => ({ sub: id, nickname: a.nickname, stores: a.stores }) };
      },
    });
    // No console noise from the provider's expected errors (aborted interactions).
    const events = provider as unknown as { on(event: string, fn: (...args: unknown[]) => void): void };
    events.on('server_error', () => {});
    events.on('backchannel.success', () => this.backchannel.push('success'));
    events.on('backchannel.error', (_ctx, err) => this.backchannel.push((err as Error).message));
    this.handler = provider.callback();
    return this;
  }

  /**
   * Act as the seller's browser at the IdP: follow the authorization URL, sign in as `login` at the
   * development login page and consent (or abort); returns the URL the IdP redirects back to.
   */
  async signIn(
    authorizationUrl: string,
    login: string,
    opts: { abort?: boolean; browser?: FormClient } = {},
  ): Promise<string> {
    const browser = opts.browser ?? new FormClient(this.issuer);
    let url = authorizationUrl;
    for (let i = 0; i < 12; i++) {
      if (!url.startsWith(this.issuer)) return url;
      const res = await browser.get(url);
      const body = await res.text();
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location')!, url).href;
        continue;
      }
      const uid = /\/interaction\/([^/?#]+)/.exec(url)?.[1];
      if (res.status !== 200 || !uid) throw new Error(`IdP answered ${res.status} at ${url}: ${body.slice(0, 300)}`);
      if (opts.abort) {
        url = `${this.issuer}/interaction/${uid}/abort`;
        continue;
      }
      const prompt =
        /name="prompt" value="(\w+)"/.exec(body)?.[1] ?? (body.includes('name="login"') ? 'login' : 'consent');
      const post = await browser.post(
        `${this.issuer}/interaction/${uid}`,
        prompt === 'login' ? { prompt, login, password: 'any' } : { prompt },
      );
      await post.arrayBuffer();
      if (post.status < 300 || post.status >= 400) throw new Error(`IdP ${prompt} answered ${post.status}`);
      url = new URL(post.headers.get('location')!, url).href;
    }
    throw new Error('too many IdP redirects');
  }

  /**
   * Act as the seller's browser signing out at the IdP: `url` is its end_session_endpoint (as Shouquan sent the
   * seller there, or bare); confirms the logout page and returns where the IdP sends the browser next.
   */
  async signOut(browser: FormClient, url = `${this.issuer}/session/end`): Promise<string> {
    const res = await browser.get(url);
    const html = await res.text();
    if (res.status !== 200) throw new Error(`IdP end_session answered ${res.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !xsrf) throw new Error(`no logout form: ${html.slice(0, 300)}`);
    const confirm = await browser.post(new URL(action, this.issuer).href, { xsrf, logout: 'yes' });
    await confirm.arrayBuffer();
    if (confirm.status < 300 || confirm.status >= 400) throw new Error(`IdP logout confirm answered ${confirm.status}`);
    return new URL(confirm.headers.get('location')!, this.issuer).href;
  }

  /** A logout token signed with the IdP's key (`claims` over sensible defaults; `undefined` drops a claim). */
  async logoutToken(claims: Record<string, unknown>, key: JWK = this.signingKey!): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const all: Record<string, unknown> = {
      iss: this.issuer,
      aud: this.clientId,
      iat: now,
      exp: now + 120,
      jti: `jti-${Math.random().toString(36).slice(2)}`,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      ...claims,
    };
    for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
    return new SignJWT(all as Record<string, unknown>)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'logout+jwt' })
      .sign(await importJWK(key, 'RS256'));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
