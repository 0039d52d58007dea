/**
 * How each platform spells OAuth 2.0 (RFC 6749), as data: the SDK reads these fields and
 * never asks which platform it talks to. Mirrors the server's profiles and the platforms'
 * own documents (shared/seeds): paths, `client_id` vs `app_key`, GET vs POST at the token
 * endpoint, and the names of the fields in the token response.
 */
export interface Dialect {
  /** The server profile this dialect matches (`shouquan serve --profile NAME`). */
  name: string;
  paths: { authorize: string; token: string; revoke: string; introspect: string; router: string };
  /** Parameter names for the app's credentials at the authorize and token endpoints. */
  params: { clientId: 'client_id' | 'app_key'; clientSecret: 'client_secret' | 'app_secret' };
  authorize: {
    /** Parameters this platform insists on (the SDK fills `state` and `scope` with defaults). */
    required: string[];
    defaultScope: string;
    /** Send a PKCE challenge by default (RFC 7636); the platforms' own documents have none. */
    pkce: boolean;
  };
  token: {
    /** HTTP method of the code exchange (RFC 6749 §4.1.3); some platforms document GET with the query. */
    exchangeMethod: 'GET' | 'POST';
    /** How a refresh happens: at the token endpoint (RFC 6749 §6), or only through a signed router method. */
    refresh: { via: 'token-endpoint'; method: 'GET' | 'POST' } | { via: 'router'; method: string };
  };
  /** Prefix of the router's API methods (`<prefix>.store.get`). */
  apiPrefix: string;
  /** Response field names, first match wins. */
  fields: {
    accessExpiresIn: string[];
    refreshExpiresIn: string[];
    sellerId: string[];
    /** The authorized store's id, when the platform's token response carries it (standard: `store_id`). */
    storeId?: string[];
  };
  /** A field that, when present with another value than `ok`, marks a failed token response. */
  status?: { field: string; ok: string };
}

const standard: Dialect = {
  name: 'standard',
  paths: {
    authorize: '/oauth/authorize',
    token: '/oauth/token',
    revoke: '/oauth/revoke',
    introspect: '/oauth/introspect',
    router: '/router/rest',
  },
  params: { clientId: 'client_id', clientSecret: 'client_secret' },
  authorize: { required: ['response_type', 'client_id'], defaultScope: 'seller', pkce: true },
  token: { exchangeMethod: 'POST', refresh: { via: 'token-endpoint', method: 'POST' } },
  apiPrefix: 'shouquan',
  fields: {
    accessExpiresIn: ['expires_in'],
    refreshExpiresIn: ['refresh_expires_in'],
    sellerId: ['seller_id'],
    storeId: ['store_id'],
  },
};

/**
 * 美丽说 / 蘑菇街 / 锐鲨: `app_key`, refresh by POST, `access_expires_in`. The docs show the code
 * exchange as a GET URL but say "通过Http POST方式换取Token"; the SDK POSTs, so the AppSecret never
 * sits in a URL (logs, proxies).
 */
function meilishuoFamily(name: string, status: Dialect['status']): Dialect {
  return {
    name,
    paths: {
      authorize: '/authorize',
      token: '/token',
      revoke: '/revoke',
      introspect: '/introspect',
      router: '/router/rest',
    },
    params: { clientId: 'app_key', clientSecret: 'app_secret' },
    authorize: {
      required: ['response_type', 'client_id', 'redirect_uri', 'state'],
      defaultScope: 'seller',
      pkce: false,
    },
    token: { exchangeMethod: 'POST', refresh: { via: 'token-endpoint', method: 'POST' } },
    apiPrefix: 'shouquan',
    fields: {
      accessExpiresIn: ['access_expires_in', 'expires_in'],
      refreshExpiresIn: ['refresh_expires_in'],
      sellerId: ['userid', 'seller_id'],
    },
    ...(status ? { status } : {}),
  };
}

/** The built-in dialects, by server profile name. */
export const dialects: Readonly<Record<string, Dialect>> = {
  standard,
  /**
   * PerFee OpenAPI v2: `/v2/oauth/*`, `client_id`, `state` and `scope` required, `refresh_token_expires_in`; refresh
   * does not rotate.
   */
  perfee: {
    ...standard,
    name: 'perfee',
    paths: {
      authorize: '/v2/oauth/authorize',
      token: '/v2/oauth/token',
      revoke: '/v2/oauth/revoke',
      introspect: '/v2/oauth/introspect',
      router: '/router/rest',
    },
    authorize: {
      required: ['response_type', 'client_id', 'redirect_uri', 'state', 'scope'],
      defaultScope: 'seller',
      pkce: false,
    },
    fields: {
      accessExpiresIn: ['expires_in'],
      refreshExpiresIn: ['refresh_token_expires_in'],
      sellerId: ['seller_id'],
    },
  },
  meilishuo: meilishuoFamily('meilishuo', { field: 'statusCode', ok: '0000000' }),
  mogujie: meilishuoFamily('mogujie', { field: 'statusCode', ok: '0000000' }),
  realshark: meilishuoFamily('realshark', undefined),
  /** 易启管: `/oauth/*`, `client_id`, `re_expires_in`, `psdm_user_id`; refresh only through `psdm.auth.token.refresh`. */
  smallec: {
    ...standard,
    name: 'smallec',
    authorize: { required: ['response_type', 'client_id', 'redirect_uri'], defaultScope: 'seller', pkce: false },
    token: { exchangeMethod: 'POST', refresh: { via: 'router', method: 'psdm.auth.token.refresh' } },
    apiPrefix: 'psdm',
    fields: { accessExpiresIn: ['expires_in'], refreshExpiresIn: ['re_expires_in'], sellerId: ['psdm_user_id'] },
  },
};

/** The dialect for a profile name, or the given description itself. */
export function resolveDialect(profile: string | Dialect | undefined): Dialect {
  if (profile === undefined) return standard;
  if (typeof profile === 'object') return profile;
  const d = dialects[profile];
  if (!d)
    throw new TypeError(
      `unknown profile "${profile}": use one of ${Object.keys(dialects).join(', ')}, or pass a Dialect object`,
    );
  return d;
}
