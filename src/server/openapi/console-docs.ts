import type { OperationDoc } from './openapi.js';

const htmlPage = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const redirect = (description: string) => ({
  description,
  headers: { Location: { schema: { type: 'string', format: 'uri' } } },
});
const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const form = (required: string[], fields: Record<string, Record<string, unknown>>) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: {
        type: 'object',
        required: ['csrf_token', ...required],
        properties: { csrf_token: { type: 'string' }, ...fields },
      },
    },
  },
});
const str = { type: 'string' };
const csrfRefused = htmlPage(
  'CSRF check failed (missing or foreign token, foreign Origin, or Sec-Fetch-Site cross-site)',
);

/**
 * The web consoles' pages (seller center, developer console, operator admin; docs/console.md)
 * for the API reference. Every POST is a CSRF-protected form (docs/adr/0061).
 */
export function consoleRouteDocs(): Array<[string, OperationDoc]> {
  const docs: Array<[string, OperationDoc]> = [];
  const page = (url: string, summary: string, tag: string, extra: Partial<OperationDoc> = {}) =>
    docs.push([
      `GET ${url}`,
      {
        summary,
        tags: [tag],
        responses: { 200: htmlPage(summary), 303: redirect('to the sign-in page when signed out') },
        ...extra,
      },
    ]);
  const post = (
    url: string,
    summary: string,
    tag: string,
    body: ReturnType<typeof form>,
    responses: Record<string, Record<string, unknown>>,
    parameters?: OperationDoc['parameters'],
  ) =>
    docs.push([
      `POST ${url}`,
      {
        summary,
        tags: [tag],
        requestBody: body,
        ...(parameters ? { parameters } : {}),
        responses: { ...responses, 403: csrfRefused },
      },
    ]);

  docs.push([
    'GET /assets/console.css',
    {
      summary: 'The consoles’ stylesheet',
      tags: ['Operations'],
      responses: { 200: { description: 'stylesheet', content: { 'text/css': { schema: str } } } },
    },
  ]);

  const S = 'Seller center';
  page('/account/login', 'Seller sign-in page', S);
  post(
    '/account/login',
    'Seller sign-in (the same session as the authorize pages; with `serve --seller-directory`, checked by the platform’s directory)',
    S,
    form(['username', 'password'], { username: str, password: str }),
    {
      303: redirect('to /account'),
      401: htmlPage('wrong username or password'),
      429: htmlPage('too many attempts'),
      503: htmlPage(
        'the platform’s seller directory did not answer: sign-in is unavailable, try again shortly (with Retry-After)',
      ),
    },
  );
  post('/account/logout', 'Seller sign-out', S, form([], {}), { 303: redirect('to /account/login') });
  page('/account', 'The apps the seller authorized (store, permissions, when, last use)', S);
  page(
    '/account/reset-password',
    'Set a new password from a one-time reset link an operator issued (docs/adr/0126)',
    S,
    {
      parameters: [{ name: 'token', in: 'query', required: true, description: 'the link’s token', schema: str }],
      responses: { 200: htmlPage('the new-password form'), 400: htmlPage('the link is invalid, used or expired') },
    },
  );
  post(
    '/account/reset-password',
    'Use a reset link: the new password is set and every session of the seller ends; the link is used up',
    S,
    form(['token', 'new_password'], { token: str, new_password: str }),
    {
      303: redirect('to /account/login?done=password-reset'),
      400: htmlPage(
        'the link is invalid, used or expired, or the password is shorter than 8 characters (the link then still works)',
      ),
    },
  );
  post(
    '/account/authorizations/:grantId/revoke',
    'Revoke one authorization: its tokens stop working at once',
    S,
    form([], {}),
    { 303: redirect('to /account'), 404: htmlPage('not this seller’s authorization') },
    [pathParam('grantId', 'the authorization')],
  );
  post(
    '/account/authorizations/:grantId/scope',
    'Narrow an authorization: the packages left ticked (`scope`, repeated) stay, the rest are taken from the grant and every live token of it',
    S,
    form([], { scope: { type: 'array', items: str } }),
    { 303: redirect('to /account'), 404: htmlPage('not this seller’s live authorization') },
    [pathParam('grantId', 'the authorization')],
  );
  post(
    '/account/authorizations/:grantId/stores/:storeId/remove',
    'Take one store out of an authorization of several: the app can no longer reach it; the last store revokes the authorization',
    S,
    form([], {}),
    { 303: redirect('to /account'), 404: htmlPage('not this seller’s authorization or store') },
    [pathParam('grantId', 'the authorization'), pathParam('storeId', 'the store')],
  );
  post(
    '/account/password',
    'Change the password: ends every session; `revoke_all=1` also revokes every authorization',
    S,
    form(['current_password', 'new_password'], {
      current_password: str,
      new_password: str,
      revoke_all: { type: 'string', enum: ['1'] },
    }),
    {
      303: redirect('to /account/login'),
      400: htmlPage('new password too short, or the platform keeps this seller’s password'),
      401: htmlPage('wrong current password'),
    },
  );

  const D = 'Developer console';
  const appKey = [pathParam('appKey', 'the AppKey')];
  page('/console/signup', 'Developer sign-up page', D);
  post(
    '/console/signup',
    'Create a developer account (separate from sellers)',
    D,
    form(['username', 'password'], { username: str, password: str }),
    {
      303: redirect('to /console'),
      400: htmlPage('username or password breaks the rules'),
      409: htmlPage('username taken'),
    },
  );
  page('/console/login', 'Developer sign-in page', D);
  post('/console/login', 'Developer sign-in', D, form(['username', 'password'], { username: str, password: str }), {
    303: redirect('to /console'),
    401: htmlPage('wrong username or password'),
  });
  post('/console/logout', 'Developer sign-out', D, form([], {}), { 303: redirect('to /console/login') });
  page('/console', 'The developer’s apps and sandbox sellers', D);
  post('/console/sandbox-sellers', 'Create a sandbox seller (password shown once)', D, form([], {}), {
    201: htmlPage('the new sandbox seller’s credentials'),
  });
  page('/console/apps/new', 'Create-app form', D);
  post(
    '/console/apps',
    'Create an app in `testing`; the AppSecret is shown once',
    D,
    form(['name', 'callback_urls'], {
      name: str,
      description: str,
      logo_url: str,
      callback_urls: { type: 'string', description: 'one per line' },
      webhook_url: str,
      scope: str,
    }),
    { 201: htmlPage('the app with its AppKey and AppSecret'), 400: htmlPage('a field is invalid') },
  );
  page('/console/apps/:appKey', 'An app: status, authorized sellers, authorize URL, secret rotation', D, {
    parameters: appKey,
    responses: {
      200: htmlPage('the app'),
      303: redirect('to the sign-in page when signed out'),
      404: htmlPage('not this developer’s app'),
    },
  });
  post(
    '/console/apps/:appKey/rotate',
    'Rotate the AppSecret; the old one works for `overlap_hours` (default 24, 0 = revoke at once)',
    D,
    form([], { overlap_hours: { type: 'string', description: '0 to 168' } }),
    {
      200: htmlPage('the new AppSecret, shown once'),
      400: htmlPage('bad overlap'),
      404: htmlPage('not this developer’s app'),
    },
    appKey,
  );
  post(
    '/console/apps/:appKey/callbacks',
    'Change the app’s callback URLs (audited; in effect at once)',
    D,
    form(['callback_urls'], { callback_urls: { type: 'string', description: 'one URL per line' } }),
    {
      303: redirect('to the app page'),
      400: htmlPage('a callback URL is not valid'),
      404: htmlPage('no such app of this developer'),
    },
    appKey,
  );
  post(
    '/console/apps/:appKey/topics',
    'The message service topics the app subscribes to (the full list; docs/gateway.md#message-service)',
    D,
    form([], { topic: { type: 'array', items: str } }),
    { 303: redirect('to the app'), 400: htmlPage('an unknown topic'), 404: htmlPage('not this developer’s app') },
    appKey,
  );
  post(
    '/console/apps/:appKey/sample-events',
    'Sandbox: sample events of every topic the app subscribed to, for the developer’s sandbox sellers’ stores the app is authorized for, to this app only',
    D,
    form([], {}),
    { 200: htmlPage('the app, saying how many were queued'), 404: htmlPage('not this developer’s app') },
    appKey,
  );
  post(
    '/console/apps/:appKey/fragment-redirect',
    "Where the client-side flow (`response_type=token`) may send this app's tokens in the fragment (profiles with that flow; docs/adr/0116)",
    D,
    form(['fragment_redirect'], {
      fragment_redirect: { type: 'string', enum: ['profile', 'exact-callback', 'redirect-rule'] },
    }),
    {
      303: redirect('to the app'),
      400: htmlPage('not one of the values, or the profile has no client-side flow'),
      404: htmlPage('not this developer’s app'),
    },
    appKey,
  );
  post(
    '/console/apps/:appKey/end-previous',
    'Stop accepting the previous AppSecret now',
    D,
    form([], {}),
    { 303: redirect('to the app'), 404: htmlPage('not this developer’s app') },
    appKey,
  );
  post(
    '/console/apps/:appKey/submit',
    'Submit a testing app for review',
    D,
    form([], {}),
    { 303: redirect('to the app'), 404: htmlPage('not this developer’s app') },
    appKey,
  );

  const A = 'Operator admin';
  page('/admin/login', 'Operator sign-in page', A);
  post(
    '/admin/login',
    'Operator sign-in, first step (accounts from `shouquan operator create`): the password',
    A,
    form(['username', 'password'], { username: str, password: str }),
    {
      303: redirect('to /admin/login/code once TOTP is enrolled, else to /admin/login/enrol (docs/adr/0161)'),
      401: htmlPage('wrong username or password'),
    },
  );
  page(
    '/admin/login/code',
    'Operator sign-in, second step: a TOTP code or a recovery code (after the password step in this browser)',
    A,
  );
  post(
    '/admin/login/code',
    'Check the TOTP code (RFC 6238, ±1 step, each step once) or a single-use recovery code; wrong codes count towards the lockout',
    A,
    form(['code'], { code: str }),
    {
      303: redirect('to /admin'),
      401: htmlPage('wrong or used code, or the password step expired'),
      429: htmlPage('locked out'),
    },
  );
  page(
    '/admin/login/enrol',
    'TOTP enrolment on the first sign-in: the otpauth:// URI and the secret (sealed at rest)',
    A,
  );
  post(
    '/admin/login/enrol',
    'Confirm enrolment with a code: signs in and shows ten recovery codes once',
    A,
    form(['code'], { code: str }),
    {
      200: htmlPage('the recovery codes, shown once'),
      401: htmlPage('wrong code, or the password step expired'),
      429: htmlPage('locked out'),
    },
  );
  post('/admin/logout', 'Operator sign-out', A, form([], {}), { 303: redirect('to /admin/login') });
  page('/admin', 'Apps to review, seller lookup (`?seller=`), audit log', A, {
    parameters: [
      { name: 'seller', in: 'query', required: false, description: 'a seller username to look up', schema: str },
    ],
  });
  post(
    '/admin/sellers/:sellerId/password-reset',
    'Issue a one-time password reset link for a built-in seller (shown once; docs/adr/0126)',
    A,
    form([], {}),
    {
      201: htmlPage('the link, shown once'),
      303: redirect('to /admin/login when signed out'),
      404: htmlPage('no such seller'),
      409: htmlPage('the seller signs in through the platform’s account system'),
    },
    [pathParam('sellerId', 'the seller_id')],
  );
  post(
    '/admin/apps/:appKey/status',
    'Approve, suspend or reinstate an app (a suspended app’s tokens stop working at once)',
    A,
    form(['status'], { status: { type: 'string', enum: ['live', 'suspended', 'testing', 'submitted'] } }),
    { 303: redirect('to /admin'), 400: htmlPage('bad status'), 404: htmlPage('no such app') },
    appKey,
  );
  page(
    '/admin/apps/:appKey',
    'One app under review: callbacks, permission packages, scopes, quotas; approve, return with a reason, suspend (docs/adr/0162)',
    A,
    { parameters: appKey },
  );
  post(
    '/admin/apps/:appKey/reject',
    'Return a submitted app to its developer with a reason they see in the developer console (status back to testing; audited)',
    A,
    form(['reason'], { reason: str }),
    {
      303: redirect('to /admin?done=rejected'),
      400: htmlPage('no reason, or longer than 500 characters'),
      404: htmlPage('no such app'),
      409: htmlPage('the app is not in review'),
    },
    appKey,
  );
  page('/admin/sellers', 'Sellers, searchable (`q`) and paged (`cursor`)', A);
  page(
    '/admin/sellers/:sellerId',
    'One seller as an operator sees it: account, stores, the apps holding an authorization from them, the password reset link',
    A,
    { parameters: [pathParam('sellerId', 'the seller_id')] },
  );
  page('/admin/audit', 'The audit log in words, filtered (`action`, `actor`) and paged (`cursor`)', A);
  page(
    '/admin/subscriptions',
    'Sellers’ subscriptions (filters `app_key`, `seller_id`, `status`, `cursor`), the record form, and the apps that require one (docs/adr/0140)',
    A,
  );
  const subscriptionId = [pathParam('id', 'the subscription_id (sub_…)')];
  post(
    '/admin/subscriptions',
    'Record a seller’s subscription to an app (audited)',
    A,
    form(['app_key', 'seller_id', 'expires_at'], {
      app_key: str,
      seller_id: str,
      expires_at: { type: 'string', description: 'ISO 8601 with a zone' },
      plan: str,
    }),
    {
      303: redirect('to /admin/subscriptions'),
      400: htmlPage('a value is invalid'),
      404: htmlPage('no such app or seller'),
      409: htmlPage('the seller already has an active subscription to the app'),
    },
  );
  post(
    '/admin/subscriptions/:id/renew',
    'Move a subscription’s end (live grants get it at their next refresh; an earlier end caps the tokens at once)',
    A,
    form(['expires_at'], { expires_at: { type: 'string', description: 'ISO 8601 with a zone' } }),
    {
      303: redirect('to /admin/subscriptions'),
      400: htmlPage('bad time'),
      404: htmlPage('no such subscription'),
      409: htmlPage('the subscription was cancelled'),
    },
    subscriptionId,
  );
  post(
    '/admin/subscriptions/:id/cancel',
    'End a subscription now: the seller’s tokens for the app stop at once',
    A,
    form([], {}),
    { 303: redirect('to /admin/subscriptions'), 404: htmlPage('no such subscription') },
    subscriptionId,
  );
  post(
    '/admin/apps/:appKey/subscription',
    'Whether sellers need a subscription to authorize the app, and where they buy one',
    A,
    form([], { require_subscription: { type: 'string', enum: ['1'] }, purchase_url: str }),
    { 303: redirect('to /admin/subscriptions'), 400: htmlPage('bad purchase URL'), 404: htmlPage('no such app') },
    appKey,
  );
  post(
    '/admin/operator-tokens/:tokenId/revoke',
    'Revoke a management API token (it answers 401 from now on; audited)',
    A,
    form([], {}),
    { 303: redirect('to /admin'), 404: htmlPage('no such live token') },
    [pathParam('tokenId', 'the token_id')],
  );
  return docs;
}
