import type { CoreContext } from '../../core/context.js';
import type { AuthorizationView } from '../../storage/console-ports.js';
import type { FastifyInstance } from 'fastify';
import { verifyPassword, hashPassword } from '../../crypto/password.js';
import { doneParam, frame, scopeWords } from '../frame.js';
import { audit, field, PageError } from '../web-kit.js';
import { loginGuard } from '../login-guard.js';
import {
  currentSeller,
  endSellerSession,
  sellerIdpLogoutUrl,
  startSellerOidc,
  startSellerSession,
} from '../seller-session.js';
import { installSignIn, PAGE, SIGNED_OUT } from '../sign-in.js';
import { seeOther, sendPage, type HttpContext } from '../../server/http-context.js';
import { DIRECTORY_RETRY_AFTER_SECONDS } from '../../sellers/seller-sign-in.js';
import { ct } from '../../server/pages/console-i18n.js';
import { credentialsPage } from '../console-pages.js';
import { sellerHomePage } from './seller-center-pages.js';
import { storesOf } from '../../storage/ports.js';
import { expandScope, narrowScope } from '../../core/scope-choice.js';
import { resetWords } from './password-reset-pages.js';
import { t, type Lang } from '../../server/pages/i18n.js';
import type { SellerRecord } from '../../storage/ports.js';
import { passwordResetRoutes } from './password-reset.js';

/** Where the seller center lives. */
export const SELLER_CENTER_PREFIX = '/account';

/**
 * The seller center (`/account`): a seller sees every app they authorized (store,
 * permissions, when, last used) and revokes one; tokens under a revoked grant die at
 * once (RFC 7009 §2.1 spirit: revoking the grant ends every token issued under it); the
 * gateway's webhook dispatcher tells the app (docs/adr/0031).
 * Logs in with the same seller session as the authorize pages (src/console/seller-session.ts).
 *
 * An encapsulated Fastify plugin registered under {@link SELLER_CENTER_PREFIX}: its sign-in hook
 * (src/console/sign-in.ts) checks every POST's CSRF token and sends a browser without a seller
 * session to `/account/login`, except on the sign-in, sign-out and password reset routes.
 */
export async function sellerCenterPlugin(app: FastifyInstance, opts: { ctx: HttpContext }): Promise<void> {
  const { ctx } = opts;
  const { core } = ctx;
  const signIn = installSignIn<SellerRecord>(app, ctx, {
    name: 'seller',
    loginPath: '/account/login',
    // The language and CSRF cookies are set before the session is looked up, as these pages always did.
    beforeFind: (request, reply) => void frame(ctx, request, reply, 'account'),
    find: (request) => currentSeller(ctx, request),
  });
  // The packages a grant's scope stands for, ticked, for the "change permissions" form.
  const choice = core.profile.scopeChoice;
  const packagesOf = choice
    ? (scope: string[]) =>
        expandScope(core.profile, scope).map((p) => ({ scope: p, fixed: choice.alwaysGranted.includes(p) }))
    : undefined;

  app.get('/login', SIGNED_OUT, async (request, reply) => {
    const f = frame(ctx, request, reply, 'account');
    if (await currentSeller(ctx, request)) return seeOther(reply, '/account');
    const m = ct(f.lang);
    const done = doneParam(request);
    const notice =
      done === 'password' ? m.passwordChanged : done === 'password-reset' ? resetWords(f.lang).done : undefined;
    return sendPage(
      reply,
      200,
      credentialsPage({
        ...f,
        notice,
        title: m.signIn,
        sub: m.sellerSignInSub,
        action: '/account/login',
        submit: m.signIn,
        oidc: oidcButton(f.lang),
      }),
    );
  });

  // Seller login at the platform's IdP (docs/adr/0160); the callback comes back to /account.
  const oidcButton = (lang: Lang) =>
    ctx.sellerOidc
      ? { action: '/account/login/oidc', label: t(lang).oidcSignIn, sandboxLabel: t(lang).oidcSandbox }
      : undefined;
  if (ctx.sellerOidc) {
    const oidcLogin = ctx.sellerOidc;
    app.post('/login/oidc', SIGNED_OUT, async (request, reply) => {
      const f = frame(ctx, request, reply, 'account');
      const m = ct(f.lang);
      return startSellerOidc(ctx, oidcLogin, request, reply, '/account', () =>
        sendPage(
          reply,
          503,
          credentialsPage({
            ...f,
            error: m.signInUnavailable,
            title: m.signIn,
            sub: m.sellerSignInSub,
            action: '/account/login',
            submit: m.signIn,
            oidc: oidcButton(f.lang),
          }),
        ),
      );
    });
  }

  app.post('/login', SIGNED_OUT, async (request, reply) => {
    const form = signIn.form(request);
    const f = frame(ctx, request, reply, 'account');
    const m = ct(f.lang);
    const username = field(form, 'username');
    const again = (status: number, error: string) =>
      sendPage(
        reply,
        status,
        credentialsPage({
          ...f,
          error,
          username,
          title: m.signIn,
          sub: m.sellerSignInSub,
          action: '/account/login',
          submit: m.signIn,
          oidc: oidcButton(f.lang),
        }),
      );
    const guard = loginGuard(ctx, request, 'seller', username);
    const waitBefore = await guard.waitBefore();
    if (waitBefore > 0) return again(429, guard.locked(reply, waitBefore, f.lang));
    const result = await ctx.sellerSignIn.signIn(username, form.get('password')?.[0] ?? '', request.log);
    if (result.kind === 'unavailable') {
      // The platform's account system did not decide: no lockout failure (docs/adr/0125).
      await guard.cancelled();
      reply.header('retry-after', String(DIRECTORY_RETRY_AFTER_SECONDS));
      return again(503, m.signInUnavailable);
    }
    const seller = result.kind === 'signed_in' ? result.seller : undefined;
    if (!seller) {
      request.log.info({ username }, 'seller center login failed');
      const waitAfter = await guard.failed();
      return waitAfter > 0 ? again(429, guard.locked(reply, waitAfter, f.lang)) : again(401, m.wrongPassword);
    }
    await guard.succeeded();
    if (seller.disabledAt) return again(403, m.sellerDisabled);
    await startSellerSession(ctx, request, reply, seller.sellerId);
    request.log.info({ sellerId: seller.sellerId }, 'seller logged in to the seller center');
    return seeOther(reply, '/account');
  });

  app.post('/logout', SIGNED_OUT, async (request, reply) => {
    // Signed in at the platform's IdP: sign out there too (RP-Initiated Logout 1.0, docs/adr/0176).
    const atIdp = await sellerIdpLogoutUrl(ctx, request);
    await endSellerSession(ctx, request, reply);
    return seeOther(reply, atIdp ?? '/account/login');
  });

  app.get('', PAGE, async (request, reply) => {
    const f = frame(ctx, request, reply, 'account');
    const seller = signIn.principal(request);
    const m = ct(f.lang);
    const authorizations = await withSubscriptionEnds(
      core,
      await core.storage.console.authorizationsOfSeller(seller.sellerId),
      seller.sellerId,
    );
    const done = doneParam(request);
    const notice =
      done === 'revoked'
        ? m.revoked
        : done === 'store_removed'
          ? m.storeRemoved
          : done === 'narrowed'
            ? m.narrowed
            : undefined;
    // Which app read which order's receiver and when (issue 15).
    const receiverReads = await core.storage.gateway?.receiverReads.ofSeller(seller.sellerId, 50);
    return sendPage(
      reply,
      200,
      sellerHomePage({
        ...f,
        notice,
        user: { name: seller.nick ?? seller.username, logoutAction: '/account/logout', csrf: f.csrf },
        authorizations,
        scopeWords: scopeWords(ctx, f.lang),
        packagesOf,
        receiverReads,
        passwordElsewhere: !ctx.sellerSignIn.ownsPassword(seller),
      }),
    );
  });

  app.post<{ Params: { grantId: string } }>('/authorizations/:grantId/revoke', PAGE, async (request, reply) => {
    const f = frame(ctx, request, reply, 'account');
    const seller = signIn.principal(request);
    const grant = await core.storage.grants.find(request.params.grantId);
    if (!grant || grant.sellerId !== seller.sellerId)
      throw new PageError(404, ct(f.lang).notYours, 'grant not found or not this seller');
    if (grant.revokedAt === null) {
      const now = core.now();
      await core.storage.grants.revoke(grant.grantId, now, 'seller_revoked');
      await audit(ctx, {
        actor: `seller:${seller.sellerId}`,
        event: 'console.authorization_revoked',
        appKey: grant.appKey,
        sellerId: seller.sellerId,
        subject: grant.grantId,
        detail: { store_id: grant.storeId },
      });
      request.log.info({ sellerId: seller.sellerId, appKey: grant.appKey }, 'seller revoked an authorization');
    }
    return seeOther(reply, '/account?done=revoked');
  });

  // Narrow a live grant: the seller unticks packages; the grant and every live token of it lose them at once.
  app.post<{ Params: { grantId: string } }>('/authorizations/:grantId/scope', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const f = frame(ctx, request, reply, 'account');
    const seller = signIn.principal(request);
    const grant = /^[A-Za-z0-9_-]{1,64}$/.test(request.params.grantId)
      ? await core.storage.grants.find(request.params.grantId)
      : undefined;
    if (!grant || grant.sellerId !== seller.sellerId || grant.revokedAt !== null || !core.profile.scopeChoice)
      throw new PageError(404, ct(f.lang).notYours, 'grant not found, not live or not this seller');
    const keep = form.get('scope') ?? [];
    const actor = `seller:${seller.sellerId}`;
    const after = await core.storage.grants.narrowScope({
      grantId: grant.grantId,
      now: core.now(),
      actor,
      narrow: (scope) => narrowScope(core.profile, scope, keep),
    });
    if (after) {
      await audit(ctx, {
        actor,
        event: 'console.authorization_narrowed',
        appKey: grant.appKey,
        sellerId: seller.sellerId,
        subject: grant.grantId,
        detail: { scope: after.join(' ') },
      });
      request.log.info(
        { sellerId: seller.sellerId, appKey: grant.appKey, scope: after.join(' ') },
        'seller narrowed an authorization',
      );
    }
    return seeOther(reply, '/account?done=narrowed');
  });

  // Take one store out of a grant of several (docs/adr/0135); its last store revokes the grant.
  app.post<{ Params: { grantId: string; storeId: string } }>(
    '/authorizations/:grantId/stores/:storeId/remove',
    PAGE,
    async (request, reply) => {
      const f = frame(ctx, request, reply, 'account');
      const seller = signIn.principal(request);
      const grant = /^[A-Za-z0-9_-]{1,64}$/.test(request.params.grantId)
        ? await core.storage.grants.find(request.params.grantId)
        : undefined;
      const storeId = /^[1-9]\d{0,14}$/.test(request.params.storeId) ? Number(request.params.storeId) : NaN;
      if (!grant || grant.sellerId !== seller.sellerId || !storesOf(grant).includes(storeId))
        throw new PageError(404, ct(f.lang).notYours, 'grant or store not found or not this seller');
      const now = core.now();
      const actor = `seller:${seller.sellerId}`;
      const outcome = await core.storage.grants.removeStore({ grantId: grant.grantId, storeId, now, actor });
      if (outcome !== 'not_found') {
        await audit(ctx, {
          actor,
          event: 'console.authorization_store_removed',
          appKey: grant.appKey,
          sellerId: seller.sellerId,
          subject: grant.grantId,
          detail: { store_id: storeId, grant_revoked: outcome === 'revoked' },
        });
        request.log.info(
          { sellerId: seller.sellerId, appKey: grant.appKey, storeId },
          'seller removed a store from an authorization',
        );
      }
      return seeOther(reply, outcome === 'revoked' ? '/account?done=revoked' : '/account?done=store_removed');
    },
  );

  // Changing the password ends every session of the seller and, if asked, every authorization.
  app.post('/password', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const f = frame(ctx, request, reply, 'account');
    const m = ct(f.lang);
    const seller = signIn.principal(request);
    const current = form.get('current_password')?.[0] ?? '';
    const next = form.get('new_password')?.[0] ?? '';
    const fail = async (status: number, error: string) => {
      const authorizations = await withSubscriptionEnds(
        core,
        await core.storage.console.authorizationsOfSeller(seller.sellerId),
        seller.sellerId,
      );
      return sendPage(
        reply,
        status,
        sellerHomePage({
          ...f,
          error,
          user: { name: seller.nick ?? seller.username, logoutAction: '/account/logout', csrf: f.csrf },
          authorizations,
          scopeWords: scopeWords(ctx, f.lang),
          passwordElsewhere: !ctx.sellerSignIn.ownsPassword(seller),
        }),
      );
    };
    // The platform keeps this seller's password: nothing to change here.
    if (!ctx.sellerSignIn.ownsPassword(seller)) return fail(400, m.passwordElsewhere);
    const guard = loginGuard(ctx, request, 'seller', seller.username);
    const waitBefore = await guard.waitBefore();
    if (waitBefore > 0) return fail(429, guard.locked(reply, waitBefore, f.lang));
    if (!(await verifyPassword(seller.passwordHash, current))) {
      const waitAfter = await guard.failed();
      return waitAfter > 0 ? fail(429, guard.locked(reply, waitAfter, f.lang)) : fail(401, m.wrongPassword);
    }
    // The attempt was counted before the check (src/server/throttle.ts): a right password is no failure.
    await guard.succeeded();
    if (next.length < 8) return fail(400, m.passwordRule);
    await core.storage.sellers.setPasswordHash(seller.sellerId, await hashPassword(next));
    await core.storage.console.deleteSellerSessions(seller.sellerId);
    await audit(ctx, {
      actor: `seller:${seller.sellerId}`,
      event: 'console.seller_password_changed',
      sellerId: seller.sellerId,
    });
    if (field(form, 'revoke_all') === '1') {
      const now = core.now();
      const revoked = await core.storage.console.revokeAllOfSeller(seller.sellerId, now, 'seller_revoked_all');
      await audit(ctx, {
        actor: `seller:${seller.sellerId}`,
        event: 'console.authorizations_revoked_all',
        sellerId: seller.sellerId,
        detail: { grants: revoked.length },
      });
    }
    await endSellerSession(ctx, request, reply);
    return seeOther(reply, '/account/login?done=password');
  });

  await passwordResetRoutes(app, ctx, signIn, SELLER_CENTER_PREFIX);
}

/**
 * For each authorization of an app that requires a subscription (docs/adr/0140): when it ends, the
 * end of the seller's active subscription, or null when none is active (its tokens no longer work).
 */
async function withSubscriptionEnds(
  core: CoreContext,
  list: AuthorizationView[],
  sellerId: number,
): Promise<AuthorizationView[]> {
  const now = core.now();
  return Promise.all(
    list.map(async (a) => {
      const app = await core.storage.apps.find(a.grant.appKey);
      if (!app?.requireSubscription) return a;
      return {
        ...a,
        subscriptionEndsAt: (await core.storage.subscriptions.activeUntil(app.appKey, sellerId, now)) ?? null,
      };
    }),
  );
}
