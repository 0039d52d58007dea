import type { AppRecord, AuthorizationRequestData } from '../storage/ports.js';
import type { CoreContext } from './context.js';
import {
  InvalidRequestError,
  InvalidScopeError,
  OAuthError,
  UnauthorizedClientError,
  UnsupportedResponseTypeError,
} from './errors.js';
import { duplicatedParams, param, type ParamBag } from './params.js';
import { callbackOriginAndPathMatch, redirectUriMatches } from './redirect-uri.js';
import { appMayRequest } from './scope-choice.js';

/**
 * Outcome of validating an authorization request (RFC 6749 §4.1.1, §4.2.1):
 * - `fatal`: client or redirect_uri can't be trusted: show an error page, never redirect (§4.1.2.1).
 * - `redirect`: a valid client and redirect_uri but a bad request: send the error to the callback.
 * - `ok`: a request to show to the seller.
 */
export type AuthorizationValidation =
  | { kind: 'fatal'; error: OAuthError }
  | {
      kind: 'redirect';
      error: OAuthError;
      redirectUri: string;
      state: string | null;
      responseMode: 'query' | 'fragment';
    }
  | { kind: 'ok'; app: AppRecord; request: AuthorizationRequestData };

/** RFC 7636 §4.2: a S256 challenge is the base64url SHA-256 of the verifier: 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Validate an authorization request, step by step as RFC 6749 §4.1.1 and §4.1.2.1 order them. */
export async function validateAuthorizationRequest(
  ctx: CoreContext,
  params: ParamBag,
): Promise<AuthorizationValidation> {
  const { profile } = ctx;
  // Step 1: identify the client (§4.1.2.1: errors here are never redirected).
  let clientId: string | undefined;
  let rawRedirect: string | undefined;
  try {
    clientId = param(params, profile.params.clientId);
    rawRedirect = param(params, 'redirect_uri');
  } catch (e) {
    return { kind: 'fatal', error: e as OAuthError };
  }
  if (clientId === undefined) {
    return { kind: 'fatal', error: new InvalidRequestError(`missing ${profile.params.clientId[0]}`) };
  }
  const app = await ctx.storage.apps.find(clientId);
  if (!app)
    return {
      kind: 'fatal',
      error: new InvalidRequestError(`unknown ${profile.params.clientId[0]}`, `unknown client ${clientId}`),
    };
  if (app.status === 'suspended') {
    return {
      kind: 'fatal',
      error: new UnauthorizedClientError('this app is suspended and cannot be authorized', `app ${clientId} suspended`),
    };
  }

  // Step 2: the redirect URI (§3.1.2.3): registered, matched by the profile's rule.
  let redirectUri: string;
  const redirectUriSent = rawRedirect !== undefined;
  if (rawRedirect === undefined) {
    const sentType = params.get('response_type')?.[0];
    const requiredForType =
      sentType === 'code' || sentType === 'token' ? (profile.authorize.requiredFor?.[sentType] ?? []) : [];
    if (profile.authorize.required.includes('redirect_uri') || requiredForType.includes('redirect_uri')) {
      return { kind: 'fatal', error: new InvalidRequestError('missing redirect_uri') };
    }
    if (app.callbackUrls.length !== 1) {
      return {
        kind: 'fatal',
        error: new InvalidRequestError('redirect_uri is required: this app registered several callbacks'),
      };
    }
    redirectUri = app.callbackUrls[0] as string;
  } else {
    if (!redirectUriMatches(profile.redirectRule, rawRedirect, app.callbackUrls)) {
      return {
        kind: 'fatal',
        error: new InvalidRequestError(
          'redirect_uri does not match the callback registered for this app',
          `presented ${rawRedirect}`,
        ),
      };
    }
    // A token in the fragment follows every redirect the page makes (docs/adr/0116): where the
    // app or the profile asks for it, only a registered callback's exact origin and path gets one.
    if (params.get('response_type')?.[0] === 'token' && profile.authorize.responseTypes.includes('token')) {
      const own = (await ctx.storage.gateway?.apps.find(app.appKey))?.fragmentRedirect;
      if (
        (own ?? profile.authorize.fragmentRedirect ?? 'redirect-rule') === 'exact-callback' &&
        !callbackOriginAndPathMatch(rawRedirect, app.callbackUrls)
      ) {
        return {
          kind: 'fatal',
          error: new InvalidRequestError(
            'redirect_uri must be the exact origin and path of a callback registered for this app to receive a token in the fragment (client-side flow)',
            `presented ${rawRedirect}`,
          ),
        };
      }
    }
    redirectUri = rawRedirect;
  }

  // From here on errors go back to the client. Work out state and response mode first.
  let state: string | null = null;
  const rawType = params.get('response_type');
  // §4.2.2.1: implicit-flow errors go in the fragment, but only where the profile has that flow.
  const responseMode: 'query' | 'fragment' =
    rawType?.[0] === 'token' && profile.authorize.responseTypes.includes('token') ? 'fragment' : 'query';
  const fail = (error: OAuthError): AuthorizationValidation => ({
    kind: 'redirect',
    error,
    redirectUri,
    state,
    responseMode,
  });
  try {
    state = param(params, 'state') ?? null;
  } catch (e) {
    return fail(e as OAuthError);
  }
  const dups = duplicatedParams(params);
  if (dups.length > 0) return fail(new InvalidRequestError(`parameter ${dups[0]} is repeated`));

  // Step 3: required parameters of this profile.
  for (const name of profile.authorize.required) {
    const names = name === 'client_id' ? profile.params.clientId : [name];
    if (param(params, names) === undefined) return fail(new InvalidRequestError(`missing ${name}`));
  }

  // Step 4: response type (§3.1.1).
  const responseType = param(params, 'response_type');
  if (responseType === undefined) return fail(new InvalidRequestError('missing response_type'));
  if (responseType === 'code' || responseType === 'token') {
    for (const name of profile.authorize.requiredFor?.[responseType] ?? []) {
      const names = name === 'client_id' ? profile.params.clientId : [name];
      if (param(params, names) === undefined) return fail(new InvalidRequestError(`missing ${name}`));
    }
  }
  if (responseType !== 'code' && responseType !== 'token') {
    return fail(new UnsupportedResponseTypeError(`response_type ${responseType} is not supported`));
  }
  if (!profile.authorize.responseTypes.includes(responseType)) {
    return fail(new UnsupportedResponseTypeError(`response_type ${responseType} is not supported`));
  }

  // Step 5: scope (§3.3).
  const rawScope = param(params, 'scope') ?? profile.authorize.defaultScope;
  const scope = [...new Set(rawScope.split(' ').filter((s) => s !== ''))];
  if (scope.length === 0) return fail(new InvalidScopeError('scope is empty'));
  for (const s of scope) {
    if (!(s in profile.scopes)) return fail(new InvalidScopeError(`unknown scope ${s}`));
    // The app's own scopes, or a package of a bundle it has (standard: `seller` covers its six packages).
    if (!appMayRequest(profile, app.scopes, s))
      return fail(new InvalidScopeError(`this app may not request scope ${s}`));
  }

  // Step 6: PKCE (RFC 7636 §4.3; RFC 9700 §2.1.1: S256 only).
  const codeChallenge = param(params, 'code_challenge') ?? null;
  const method = param(params, 'code_challenge_method');
  if (responseType === 'token' && (codeChallenge !== null || method !== undefined)) {
    return fail(new InvalidRequestError('PKCE applies to response_type=code only'));
  }
  if (codeChallenge === null) {
    if (method !== undefined) return fail(new InvalidRequestError('code_challenge_method without code_challenge'));
    if (profile.requirePkce && responseType === 'code')
      return fail(new InvalidRequestError('code_challenge is required (PKCE, S256)'));
  } else {
    if (method === undefined)
      return fail(new InvalidRequestError('code_challenge_method is required and must be S256'));
    if (method !== 'S256')
      return fail(new InvalidRequestError(`code_challenge_method ${method} is not supported; use S256`));
    if (!S256_CHALLENGE.test(codeChallenge))
      return fail(new InvalidRequestError('code_challenge must be 43 base64url characters (S256)'));
  }

  // Step 7: presentation hint.
  let view: string | null = null;
  if (profile.authorize.views.length > 0) {
    view = param(params, 'view') ?? null;
    if (view !== null && !profile.authorize.views.includes(view)) {
      return fail(new InvalidRequestError(`view must be one of ${profile.authorize.views.join(', ')}`));
    }
  }

  return {
    kind: 'ok',
    app,
    request: {
      appKey: app.appKey,
      responseType,
      redirectUri,
      redirectUriSent,
      scope,
      state,
      codeChallenge,
      codeChallengeMethod: codeChallenge === null ? null : 'S256',
      view,
      responseMode,
    },
  };
}

/**
 * Build the redirect back to the client (RFC 6749 §4.1.2, §4.2.2) with `iss` (RFC 9207).
 * Query parameters are appended to any already in the registered URI (§3.1.2).
 */
export function buildRedirect(
  redirectUri: string,
  mode: 'query' | 'fragment',
  params: Record<string, string | undefined | null>,
): string {
  const url = new URL(redirectUri);
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== null);
  if (mode === 'query') {
    for (const [k, v] of entries) url.searchParams.append(k, v);
    return url.toString();
  }
  url.hash = new URLSearchParams(entries).toString();
  return url.toString();
}
