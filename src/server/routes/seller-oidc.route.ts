import type { FastifyInstance } from 'fastify';
import { sellerOidcFlowCookie as flowCookie, startSellerSession } from '../../console/seller-session.js';
import {
  SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH,
  SELLER_OIDC_CALLBACK_PATH,
  type SellerOidcLogin,
} from '../../sellers/seller-oidc.js';
import { DIRECTORY_RETRY_AFTER_SECONDS } from '../../sellers/seller-sign-in.js';
import { formParams, requestLang, seeOther, sendPage, type HttpContext } from '../http-context.js';
import { errorPage } from '../pages/pages.js';
import { t, type Lang } from '../pages/i18n.js';

/**
 * The callback the IdP sends the seller back to: the code is exchanged (PKCE, state and nonce
 * checked by openid-client), the seller (`sub`) and stores (`stores` claim) are created or updated
 * just in time, a seller session starts and the interaction (or the seller center) resumes.
 * Failures are plain pages: denied at the IdP (400), expired or another browser (400), the IdP
 * unavailable (503). None counts towards the seller lockout.
 */
export async function sellerOidcRoutes(app: FastifyInstance, ctx: HttpContext, login: SellerOidcLogin): Promise<void> {
  const { core } = ctx;
  app.get(SELLER_OIDC_CALLBACK_PATH, { config: { kind: 'page' } }, async (request, reply) => {
    const url = request.raw.url ?? '';
    const rawQuery = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const result = await login.callback(rawQuery, request.cookies[flowCookie(ctx)], request.log);
    reply.clearCookie(flowCookie(ctx), { httpOnly: true, secure: ctx.cookieSecure, path: SELLER_OIDC_CALLBACK_PATH });
    const lang: Lang =
      ((result.returnTo && /[?&]lang=(en|zh-CN)$/.exec(result.returnTo)?.[1]) as Lang | undefined) ??
      requestLang(ctx, request);
    const m = t(lang);
    const fail = (status: number, message: string, back?: string) =>
      sendPage(reply, status, errorPage({ lang, platform: core.profile.title, message, requestId: request.id, back }));
    switch (result.kind) {
      case 'expired':
        return fail(400, m.oidcExpired, result.returnTo);
      case 'denied':
        return fail(400, m.oidcDenied, result.returnTo);
      case 'unavailable':
        reply.header('retry-after', String(DIRECTORY_RETRY_AFTER_SECONDS));
        return fail(503, m.signInUnavailable, result.returnTo);
    }
    const { seller } = await core.storage.sellers.upsertExternal(result.seller, core.now());
    if (seller.disabledAt) {
      request.log.info({ sellerId: seller.sellerId }, 'seller login refused: disabled');
      return fail(403, m.sellerDisabled);
    }
    await startSellerSession(ctx, request, reply, seller.sellerId, ctx.core.lifetimes.session, result.idp);
    request.log.info({ sellerId: seller.sellerId, via: 'oidc' }, 'seller logged in');
    return seeOther(reply, result.returnTo);
  });

  // OpenID Connect Back-Channel Logout 1.0 §2.5–2.8: the IdP posts a signed logout token when the seller signs
  // out there; the Shouquan sessions it names end. 200 when done, 400 with an OAuth error when refused.
  app.post(SELLER_OIDC_BACKCHANNEL_LOGOUT_PATH, { config: { kind: 'oauth' } }, async (request, reply) => {
    const values = formParams(request).get('logout_token') ?? [];
    reply.header('cache-control', 'no-store');
    if (values.length !== 1 || !values[0])
      return reply.code(400).send({ error: 'invalid_request', error_description: 'one logout_token is required' });
    const result = await login.backchannelLogout(values[0], core.storage.sessions, request.log);
    if (result.kind === 'ended') return reply.code(200).send();
    if (result.kind === 'unavailable') {
      request.log.warn({ sellerOidc: { backchannelLogout: 'unavailable' } }, `back-channel logout: ${result.reason}`);
      reply.header('retry-after', String(DIRECTORY_RETRY_AFTER_SECONDS));
      return reply.code(503).send({ error: 'temporarily_unavailable', error_description: result.reason });
    }
    return reply.code(400).send({ error: 'invalid_request', error_description: result.reason });
  });
}
