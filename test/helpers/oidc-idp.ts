import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
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
    return this;
  }

  configure(redirectUri: string): this {
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
        },
      ],
      claims: { openid: ['sub'], profile: ['nickname', 'name'], stores: ['stores'] },
      conformIdTokenClaims: this.storesIn === 'userinfo',
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      cookies: { keys: ['test-idp-cookie-key'] },
      async findAccount(_ctx, id) {
        const a = accounts.get(id);
        if (!a) return undefined;
        return { accountId: id, claims: async () => ({ sub: id, nickname: a.nickname, stores: a.stores }) };
      },
    });
    // No console noise from the provider's expected errors (aborted interactions).
    (provider as unknown as { on(event: string, fn: () => void): void }).on('server_error', () => {});
    this.handler = provider.callback();
    return this;
  }

  /**
   * Act as the seller's browser at the IdP: follow the authorization URL, sign in as `login` at the
   * development login page and consent (or abort); returns the URL the IdP redirects back to.
   */
  async signIn(authorizationUrl: string, login: string, opts: { abort?: boolean } = {}): Promise<string> {
    const browser = new FormClient(this.issuer);
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

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
