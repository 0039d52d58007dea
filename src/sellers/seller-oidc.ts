import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { sha256 } from '../crypto/tokens.js';
import { tracedFetch, tracing } from '../tracing/tracing.js';
import { Counter, type Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import { seal, unseal } from '../crypto/seal.js';
import type { ExternalSeller, IdpSessionLink, SessionRepository } from '../storage/ports.js';
import { parseDirectorySeller } from './seller-directory.js';

/** Settings of seller login through the platform's OpenID Connect IdP (`serve --seller-oidc-issuer`, docs/adr/0160). */
export interface SellerOidcOptions {
  /** The IdP's issuer identifier (OpenID Connect Discovery 1.0 §4: `/.well-known/openid-configuration` under it). */
  issuer: string;
  clientId: string;
  /** From SHOUQUAN_SELLER_OIDC_CLIENT_SECRET only (a flag value would show in `ps`). */
  clientSecret: string;
  /** Scopes asked for (default `openid profile stores`). */
  scope?: string;
  /** ms to wait for the IdP's discovery, token and userinfo answers (default 3000). */
  timeoutMs?: number;
}

/** The Shouquan path the IdP sends the seller back to (register `<issuer>` + this as the client's redirect URI). */
export const SELLER_OIDC_CALLBACK_PATH = '/oauth/seller-oidc/callback';
export const DEFAULT_SELLER_OIDC_SCOPE = 'openid profile stores';
/** Where the IdP posts back-channel logout tokens (register `<issuer>` + this as `backchannel_logout_uri`). */
export const SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH = '/oauth/seller-oidc/backchannel-logout';
/** Where the IdP sends the seller after signing out (register `<issuer>` + this as a post-logout redirect URI). */
export const SELLER_OIDC_POST_LOGOUT_PATH = '/account/login';
/** The `events` member of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4). */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How old a logout token may be (its `iat`), in seconds; its `jti` is remembered that long (plus the skew). */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 300;
const LOGOUT_TOKEN_SKEW_SECONDS = 60;
const ID_TOKEN_SEAL_PURPOSE = 'seller-oidc-id-token';
/**
 * jose's errors from the IdP's key set that are the token's fault (no key for its `kid`/`alg`, an algorithm the
 * keys do not do, a malformed header): the token is refused. Any other error of the key set (no answer, an error
 * status, not a key set) is the IdP's: nothing was decided, 503.
 */
const TOKEN_KEY_FAULTS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
]);

/** Where a sign-in may resume: an interaction (authorize request) or the seller center. */
const RETURN_TO = /^(\/oauth\/interaction\/[A-Za-z0-9_-]{1,64}|\/account)(\?lang=(en|zh-CN))?$/;
/** Seconds the browser has to come back from the IdP. */
export const SELLER_OIDC_FLOW_SECONDS = 600;
const SEAL_PURPOSE = 'seller-oidc-flow';

/** What the browser carries between the redirect to the IdP and the callback (sealed with the server key). */
export interface OidcFlow {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  /** When the flow started (ms). */
  at: number;
}

export type OidcCallbackResult =
  | { kind: 'signed_in'; seller: ExternalSeller; returnTo: string; idp: IdpSessionLink }
  /** The seller cancelled at the IdP or the IdP refused (`error` in the callback). */
  | { kind: 'denied'; returnTo: string; error: string }
  /** No flow cookie, a wrong state, or too old: start again. */
  | { kind: 'expired'; returnTo?: string }
  /** The IdP did not answer, answered wrongly, or its tokens did not verify: 503, try again. */
  | { kind: 'unavailable'; returnTo: string; reason: string };

/**
 * Seller login through the platform's OpenID Connect IdP with openid-client: authorization code
 * with PKCE (S256), state and nonce, the client authenticated with its secret; the seller is the
 * ID token's `sub`, the stores the `stores` claim of the ID token or else of userinfo.
 */
export class SellerOidcLogin {
  private config?: Promise<oidc.Configuration>;
  private jwks?: { uri: string; set: ReturnType<typeof createRemoteJWKSet> };
  private readonly outcomes: Counter<'outcome'>;
  private readonly logouts: Counter<'outcome'>;

  constructor(
    readonly options: SellerOidcOptions,
    /** Shouquan's own issuer (the public base URL), read at each use: the redirect URI is built on it. */
    private readonly base: () => string,
    private readonly serverKey: Buffer,
    registry: Registry,
    private readonly now: () => number = Date.now,
  ) {
    this.outcomes = new Counter({
      name: 'shouquan_seller_oidc_logins_total',
      help: "Seller sign-ins through the platform's OpenID Connect IdP, by outcome: signed_in, denied, expired, unavailable",
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    for (const outcome of ['signed_in', 'denied', 'expired', 'unavailable']) this.outcomes.inc({ outcome }, 0);
    this.logouts = new Counter({
      name: 'shouquan_seller_oidc_backchannel_logouts_total',
      help: "Back-channel logout tokens from the platform's OpenID Connect IdP, by outcome: accepted, refused, unavailable",
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    for (const outcome of ['accepted', 'refused', 'unavailable']) this.logouts.inc({ outcome }, 0);
  }

  private get publicBase(): string {
    return this.base();
  }

  get redirectUri(): string {
    return `${this.publicBase}${SELLER_OIDC_CALLBACK_PATH}`;
  }

  /** Discovery, once; a failure is forgotten so the next sign-in asks again. */
  private configuration(): Promise<oidc.Configuration> {
    if (!this.config) {
      const url = new URL(this.options.issuer);
      const insecure = url.protocol === 'http:';
      this.config = oidc
        .discovery(url, this.options.clientId, this.options.clientSecret, undefined, {
          timeout: Math.ceil((this.options.timeoutMs ?? 3000) / 1000),
          ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
          // Tracing on (docs/adr/0155): the IdP's discovery, token and userinfo calls as client spans.
          ...(tracing.hooks ? { [oidc.customFetch]: idpFetch } : {}),
        })
        .catch((e: unknown) => {
          this.config = undefined;
          throw e;
        });
    }
    return this.config;
  }

  /**
   * The IdP's authorization URL for a new flow and the sealed flow value for the browser's cookie.
   * Throws when the IdP cannot be discovered (the caller answers 503).
   */
  async start(returnTo: string): Promise<{ url: string; cookie: string }> {
    if (!RETURN_TO.test(returnTo)) throw new Error(`bad returnTo ${returnTo}`);
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch (e) {
      this.outcomes.inc({ outcome: 'unavailable' });
      throw e;
    }
    const flow: OidcFlow = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      returnTo,
      at: this.now(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.options.scope ?? DEFAULT_SELLER_OIDC_SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.href, cookie: seal(this.serverKey, SEAL_PURPOSE, this.publicBase, JSON.stringify(flow)) };
  }

  /** Finish a flow: the callback's query string and the flow cookie. */
  async callback(rawQuery: string, cookie: string | undefined, log: FastifyBaseLogger): Promise<OidcCallbackResult> {
    const result = await this.finish(rawQuery, cookie, log);
    this.outcomes.inc({ outcome: result.kind });
    return result;
  }

  private async finish(
    rawQuery: string,
    cookie: string | undefined,
    log: FastifyBaseLogger,
  ): Promise<OidcCallbackResult> {
    const opened = cookie ? unseal(this.serverKey, SEAL_PURPOSE, this.publicBase, cookie) : undefined;
    let flow: OidcFlow | undefined;
    try {
      flow = opened ? (JSON.parse(opened) as OidcFlow) : undefined;
    } catch {
      flow = undefined;
    }
    const query = new URLSearchParams(rawQuery);
    if (!flow || !RETURN_TO.test(flow.returnTo) || this.now() - flow.at > SELLER_OIDC_FLOW_SECONDS * 1000)
      return { kind: 'expired' };
    if (query.get('state') !== flow.state) return { kind: 'expired', returnTo: flow.returnTo };
    const error = query.get('error');
    if (error !== null) {
      log.info(
        { sellerOidc: { error, description: query.get('error_description') } },
        `seller sign-in at the IdP ended with ${error}`,
      );
      return { kind: 'denied', returnTo: flow.returnTo, error };
    }
    const unavailable = (reason: string, e: unknown): OidcCallbackResult => {
      const err = e as Error & { code?: string; error?: string; cause?: { code?: string } };
      const detail = [err.code, err.error, err.cause?.code, err.message].filter(Boolean).join(': ');
      log.warn(
        { sellerOidc: { reason, detail } },
        `seller sign-in unavailable: the OpenID Connect IdP failed (${reason}: ${detail})`,
      );
      return { kind: 'unavailable', returnTo: flow!.returnTo, reason };
    };
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch (e) {
      return unavailable('discovery', e);
    }
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, new URL(`${this.redirectUri}?${rawQuery}`), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (e) {
      return unavailable('token', e);
    }
    const claims = tokens.claims();
    if (!claims) return unavailable('token', new Error('no ID token'));
    let source: Record<string, unknown> = claims;
    if (claims.stores === undefined) {
      try {
        source = { ...claims, ...(await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)) };
      } catch (e) {
        return unavailable('userinfo', e);
      }
    }
    const seller = sellerFromClaims(source);
    if (typeof seller === 'string') return unavailable('claims', new Error(seller));
    const idp: IdpSessionLink = {
      sub: claims.sub,
      sid: typeof claims.sid === 'string' ? claims.sid : null,
      idToken: tokens.id_token ? seal(this.serverKey, ID_TOKEN_SEAL_PURPOSE, this.publicBase, tokens.id_token) : null,
    };
    return { kind: 'signed_in', seller, returnTo: flow.returnTo, idp };
  }

  /**
   * Where the seller's browser goes after signing out of Shouquan (OpenID Connect RP-Initiated Logout 1.0 §2):
   * the IdP's `end_session_endpoint` with `id_token_hint`, `post_logout_redirect_uri` (the seller sign-in page)
   * and `client_id`; undefined when the IdP advertises none or cannot be discovered (the sign-out stays local).
   */
  async endSessionUrl(link: IdpSessionLink): Promise<string | undefined> {
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch {
      return undefined;
    }
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    // A token sealed before `shouquan key rotate` no longer opens: the IdP then asks the seller to confirm.
    const hint = link.idToken
      ? unseal(this.serverKey, ID_TOKEN_SEAL_PURPOSE, this.publicBase, link.idToken)
      : undefined;
    return oidc.buildEndSessionUrl(config, {
      ...(hint ? { id_token_hint: hint } : {}),
      post_logout_redirect_uri: `${this.publicBase}${SELLER_OIDC_POST_LOGOUT_PATH}`,
    }).href;
  }

  /**
   * A back-channel logout from the IdP (OpenID Connect Back-Channel Logout 1.0 §2.6): the logout token is a JWT
   * signed with a key of the IdP's JWKS, from its issuer, for this client, issued in the last
   * {@link LOGOUT_TOKEN_MAX_AGE_SECONDS} s, with the back-channel logout event, a `jti` not seen before, `sub`
   * and/or `sid` and no `nonce`. The seller sessions it names end.
   */
  async backchannelLogout(
    logoutToken: string,
    sessions: SessionRepository,
    log: FastifyBaseLogger,
  ): Promise<{ kind: 'ended'; sessions: number } | { kind: 'refused' | 'unavailable'; reason: string }> {
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch (e) {
      this.logouts.inc({ outcome: 'unavailable' });
      return { kind: 'unavailable', reason: `the IdP could not be discovered (${(e as Error).message})` };
    }
    const metadata = config.serverMetadata();
    if (!metadata.jwks_uri) {
      this.logouts.inc({ outcome: 'unavailable' });
      return { kind: 'unavailable', reason: 'the IdP advertises no jwks_uri' };
    }
    if (this.jwks?.uri !== metadata.jwks_uri)
      this.jwks = {
        uri: metadata.jwks_uri,
        set: createRemoteJWKSet(new URL(metadata.jwks_uri), { timeoutDuration: this.options.timeoutMs ?? 3000 }),
      };
    const refuse = (reason: string) => {
      this.logouts.inc({ outcome: 'refused' });
      log.info({ sellerOidc: { backchannelLogout: 'refused', reason } }, `back-channel logout refused: ${reason}`);
      return { kind: 'refused' as const, reason };
    };
    let payload: JWTPayload;
    let keysFailed = false;
    const set = this.jwks.set;
    const keys: JWTVerifyGetKey = async (header, token) => {
      try {
        return await set(header, token);
      } catch (e) {
        keysFailed = !TOKEN_KEY_FAULTS.has((e as { code?: string }).code ?? '');
        throw e;
      }
    };
    try {
      ({ payload } = await jwtVerify(logoutToken, keys, {
        issuer: metadata.issuer,
        audience: this.options.clientId,
        maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
        clockTolerance: LOGOUT_TOKEN_SKEW_SECONDS,
        currentDate: new Date(this.now()),
      }));
    } catch (e) {
      const err = e as Error & { code?: string };
      if (keysFailed || err.code === 'ERR_JWKS_TIMEOUT' || err.name === 'TypeError') {
        this.logouts.inc({ outcome: 'unavailable' });
        return { kind: 'unavailable', reason: `the IdP's keys could not be fetched (${err.message})` };
      }
      return refuse(`the logout token does not verify (${err.code ?? err.name}: ${err.message})`);
    }
    const events = payload.events as Record<string, unknown> | undefined;
    const event = events && typeof events === 'object' ? events[BACKCHANNEL_LOGOUT_EVENT] : undefined;
    if (!event || typeof event !== 'object' || Array.isArray(event))
      return refuse(`the logout token has no ${BACKCHANNEL_LOGOUT_EVENT} event`);
    if (payload.nonce !== undefined) return refuse('the logout token has a nonce');
    if (typeof payload.jti !== 'string' || payload.jti === '') return refuse('the logout token has no jti');
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
    if (sub === undefined && sid === undefined) return refuse('the logout token has neither sub nor sid');
    const until = ((payload.iat ?? 0) + LOGOUT_TOKEN_MAX_AGE_SECONDS + LOGOUT_TOKEN_SKEW_SECONDS) * 1000;
    if (!(await sessions.useLogoutJti(sha256(`${metadata.issuer} ${payload.jti}`), until, this.now())))
      return refuse('the logout token was used before (jti replay)');
    const ended = await sessions.endIdpSessions({ ...(sub ? { sub } : {}), ...(sid ? { sid } : {}) });
    this.logouts.inc({ outcome: 'accepted' });
    log.info(
      { sellerOidc: { backchannelLogout: 'accepted', sub, sid, sessions: ended } },
      `the IdP ended ${ended} seller session(s) by back-channel logout`,
    );
    return { kind: 'ended', sessions: ended };
  }
}

/**
 * The seller an IdP's claims describe: `sub` is the seller id; the display name is `nickname`,
 * `name`, `preferred_username` or else `sub`; `stores` is `[{"store_id","name"}]` (the directory's
 * shape, docs/adr/0125). A missing `stores` claim is no stores.
 */
export function sellerFromClaims(claims: Record<string, unknown>): ExternalSeller | string {
  const nick = [claims.nickname, claims.name, claims.preferred_username, claims.sub].find(
    (v) => typeof v === 'string' && v.trim() !== '',
  );
  const parsed = parseDirectorySeller(JSON.stringify({ seller_id: claims.sub, nick, stores: claims.stores ?? [] }));
  if (typeof parsed === 'string') return parsed.replace(/^seller_id/, 'sub').replace(/^the 200 answer/, 'the claims');
  return { ...parsed, source: 'oidc' };
}

/** openid-client's fetch, as a traced client span named after the IdP endpoint's path. */
const idpFetch: oidc.CustomFetch = (url, options) =>
  tracedFetch(`seller IdP ${new URL(url).pathname}`, url, options as RequestInit);
