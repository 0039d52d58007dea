import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHmac } from 'node:crypto';
import { validateAuthorizationRequest } from '../../core/authorization-request.js';
import { approveAuthorization, denyAuthorization, errorRedirect } from '../../core/authorization-response.js';
import { OAuthError } from '../../core/errors.js';
import { param } from '../../core/params.js';
import { randomId, randomToken, safeEqual, sha256 } from '../../crypto/tokens.js';
import { DIRECTORY_RETRY_AFTER_SECONDS } from '../../sellers/seller-sign-in.js';
import type { InteractionPageReads, InteractionRecord } from '../../storage/ports.js';
import { formParams, queryParams, requestLang, seeOther, sendPage, type HttpContext } from '../http-context.js';
import { consentPage, errorPage, loginPage, subscriptionRequiredPage } from '../pages/pages.js';
import { subscriptionCap } from '../../core/token-issuer.js';
import { t, type Lang } from '../pages/i18n.js';
import { sellerMayAuthorize } from '../../console/app-policy.js';
import { ct } from '../pages/console-i18n.js';
import { STORE_SEARCH_THRESHOLD } from '../../console/web-kit.js';
import { loginGuard } from '../../console/login-guard.js';
import {
  currentSeller,
  forgetSellerCookie,
  REMEMBER_ME_SECONDS,
  sellerSessionOf,
  startSellerOidc,
  startSellerSession,
} from '../../console/seller-session.js';
import { grantRules } from '../../profiles/profile.js';
import { storesOf } from '../../storage/ports.js';
import { chosenScope, offeredPackages } from '../../core/scope-choice.js';

/** The shape of an interaction id (base64url from randomId()). */
const INTERACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Where a browser goes to log in and consent for one authorization request. */
export const interactionPath = (id: string) => `/oauth/interaction/${id}`;

/**
 * The authorization endpoint (RFC 6749 §3.1, §4.1.1) and the seller's interaction:
 * login (with CSRF token, RFC 6749 §10.12) and consent with the store picker.
 */
export async function authorizeRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { core } = ctx;
  const profile = core.profile;
  const interactionCookie = ctx.cookieSecure ? '__Secure-sq_ia' : 'sq_ia';
  const cookieBase = { httpOnly: true, sameSite: 'lax' as const, secure: ctx.cookieSecure };

  const csrfFor = (interactionId: string, browserSecret: string) =>
    createHmac('sha256', core.secretKey).update(`csrf|${interactionId}|${browserSecret}`).digest('base64url');
  /** What the interaction page shows besides the interaction: read with it (docs/adr/0189). */
  const pageReads = { stores: true, appDetails: true, liveGrant: grantRules(profile).reconsent === 'add' };

  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    message: string,
    variant?: string | null,
    detail?: string,
  ) =>
    sendPage(
      reply,
      status,
      errorPage({
        lang: requestLang(ctx, request),
        platform: profile.title,
        message,
        requestId: request.id,
        variant,
        detail,
      }),
    );
  /** A refused authorization request: a plain-words message in the seller's language, the protocol reason as detail. */
  const badRequestPage = (request: FastifyRequest, reply: FastifyReply, detail: string) =>
    page(request, reply, 400, t(requestLang(ctx, request)).badRequest, null, detail);

  const langSwitch = (request: FastifyRequest, lang: Lang) => {
    const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
    return `${path}?lang=${lang === 'en' ? 'zh-CN' : 'en'}`;
  };

  /**
   * Load the interaction and check it belongs to this browser (cookie) and, for POSTs, the CSRF token. With `want`,
   * the signed-in seller and what `want` names are read with it, in one statement on PostgreSQL (docs/adr/0189).
   */
  async function loadInteraction(
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
    csrf: string | undefined | null,
    want?: { stores?: boolean; appDetails?: boolean; liveGrant?: boolean },
  ): Promise<{ interaction: InteractionRecord; browserSecret: string; read?: InteractionPageReads } | undefined> {
    const m = t(requestLang(ctx, request));
    // Ids are randomId() output; anything else (NUL bytes, huge strings) never reaches the database.
    const id = request.params.id;
    let interaction: InteractionRecord | undefined;
    let read: InteractionPageReads | undefined;
    if (INTERACTION_ID.test(id)) {
      if (want) {
        read = await core.storage.interactions.findForPage(id, sellerSessionOf(ctx, request), want);
        interaction = read.interaction;
      } else interaction = await core.storage.interactions.find(id);
    }
    if (!interaction || interaction.consumedAt !== null || interaction.expiresAt <= core.now()) {
      // A form posted to a used interaction is a replayed token: 403 (RFC 6749 §10.12).
      page(
        request,
        reply,
        csrf !== null && interaction?.consumedAt != null ? 403 : 400,
        m.expired,
        interaction?.request.view,
      );
      return undefined;
    }
    const browserSecret = request.cookies[interactionCookie];
    if (!browserSecret || !safeEqual(sha256(browserSecret), interaction.browserHash)) {
      page(
        request,
        reply,
        csrf === null ? 400 : 403,
        csrf === null ? m.wrongBrowser : m.csrf,
        interaction.request.view,
      );
      return undefined;
    }
    if (csrf !== null && (csrf === undefined || !safeEqual(csrf, csrfFor(interaction.id, browserSecret)))) {
      page(request, reply, 403, m.csrf, interaction.request.view);
      return undefined;
    }
    return { interaction, browserSecret, read };
  }

  /**
   * A paid app and a seller without an active subscription (docs/adr/0140): the 403 page linking to
   * where the app is sold, and true. False when the seller may go on.
   */
  async function refusedForSubscription(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: InteractionRecord,
    sellerId: number,
  ): Promise<boolean> {
    const appRecord = await core.storage.apps.find(interaction.request.appKey);
    if (!appRecord?.requireSubscription) return false;
    if (!(await subscriptionCap(core, appRecord, sellerId, core.now())).missing) return false;
    request.log.info({ sellerId, appKey: appRecord.appKey }, 'authorization refused: no active subscription');
    const lang = requestLang(ctx, request);
    sendPage(
      reply,
      403,
      subscriptionRequiredPage({
        lang,
        platform: profile.title,
        variant: interaction.request.view,
        appName: appRecord.name,
        purchaseUrl: appRecord.purchaseUrl ?? null,
        requestId: request.id,
        langSwitch: langSwitch(request, lang),
      }),
    );
    return true;
  }

  /** The interaction's page: login or consent. `read`: what {@link pageReads} asked for, read with the interaction. */
  async function renderInteraction(
    request: FastifyRequest,
    reply: FastifyReply,
    interaction: InteractionRecord,
    browserSecret: string,
    opts: { status?: number; error?: string; username?: string } = {},
    read?: InteractionPageReads,
  ) {
    const lang = requestLang(ctx, request);
    const appRecord = await core.storage.apps.find(interaction.request.appKey);
    const details = read ? read.appDetails : await core.storage.console.appDetails(interaction.request.appKey);
    const logoUrl = details?.logoUrl ?? null;
    const csrf = csrfFor(interaction.id, browserSecret);
    const seller = read ? read.seller : await currentSeller(ctx, request);
    const base = interactionPath(interaction.id);
    if (!seller) {
      return sendPage(
        reply,
        opts.status ?? 200,
        loginPage({
          lang,
          platform: profile.title,
          variant: interaction.request.view,
          action: `${base}/login`,
          csrf,
          appName: appRecord?.name ?? interaction.request.appKey,
          error: opts.error,
          username: opts.username,
          langSwitch: langSwitch(request, lang),
          logoUrl,
          rememberLabel: ct(lang).rememberMe,
          // The language rides along to the IdP and back (the interaction resumes in it).
          oidcAction: ctx.sellerOidc
            ? `${base}/oidc${typeof (request.query as Record<string, unknown>)?.lang === 'string' ? `?lang=${lang}` : ''}`
            : undefined,
        }),
      );
    }
    if (await refusedForSubscription(request, reply, interaction, seller.sellerId)) return reply;
    const allStores = read?.stores ?? (await core.storage.sellers.stores(seller.sellerId));
    // Many stores: a search box (a GET form, no JavaScript) narrows the list.
    const q =
      typeof (request.query as Record<string, unknown>)?.q === 'string'
        ? ((request.query as Record<string, string>).q ?? '').trim()
        : '';
    const stores = q
      ? allStores.filter((st) => st.name.toLowerCase().includes(q.toLowerCase()) || String(st.storeId) === q)
      : allStores;
    const storeSearch =
      allStores.length > STORE_SEARCH_THRESHOLD
        ? {
            action: base,
            q,
            label: ct(lang).searchStores,
            button: ct(lang).search,
            total: allStores.length,
            none: ct(lang).noStoreMatch,
            shown: ct(lang).storesShown,
          }
        : undefined;
    // A testing app: only its developer's sandbox sellers (docs/adr/0061).
    const blocked = !(await sellerMayAuthorize(core.storage, interaction.request.appKey, seller.sellerId));
    if (blocked) opts = { ...opts, error: ct(lang).testingRefused };
    const rules = grantRules(profile);
    // Under `reconsent: 'add'` the page shows which stores the app already holds (docs/adr/0135).
    const live =
      rules.reconsent === 'add'
        ? read
          ? read.liveGrant
          : await core.storage.grants.findLive(interaction.request.appKey, seller.sellerId)
        : undefined;
    return sendPage(
      reply,
      opts.status ?? 200,
      consentPage({
        lang,
        platform: profile.title,
        variant: interaction.request.view,
        action: `${base}/consent`,
        csrf,
        appName: appRecord?.name ?? interaction.request.appKey,
        scopes: interaction.request.scope.map((s) => profile.scopes[s]?.[lang === 'en' ? 'en' : 'zh'] ?? s),
        // The seller ticks each package (profile `scopeChoice`, docs/adr/0136).
        packages: offeredPackages(profile, interaction.request.scope).map((p) => ({
          ...p,
          words: profile.scopes[p.scope]?.[lang === 'en' ? 'en' : 'zh'] ?? p.scope,
        })),
        stores,
        storeChoice: rules.stores,
        grantedStoreIds: live ? storesOf(live) : [],
        username: seller.nick ?? seller.username,
        redirectHost: new URL(interaction.request.redirectUri).host,
        error: opts.error,
        langSwitch: langSwitch(request, lang),
        logoUrl,
        storeSearch,
        blocked,
      }),
    );
  }

  // RFC 6749 §4.1.1: the authorization request.
  app.get(profile.paths.authorize, { config: { kind: 'page' } }, async (request, reply) => {
    const lang = requestLang(ctx, request);
    let params;
    try {
      params = queryParams(request);
    } catch (e) {
      return badRequestPage(request, reply, (e as OAuthError).description);
    }
    const result = await validateAuthorizationRequest(core, params);
    if (result.kind === 'fatal') {
      request.log.info({ oauthError: result.error.code, detail: result.error.detail }, 'authorization request refused');
      ctx.metrics.oauthErrors.inc({ error: result.error.code });
      return badRequestPage(request, reply, result.error.description);
    }
    if (result.kind === 'redirect') {
      request.log.info(
        { oauthError: result.error.code, detail: result.error.detail },
        'authorization request error redirected',
      );
      ctx.metrics.oauthErrors.inc({ error: result.error.code });
      return reply.redirect(errorRedirect(core, result, result.error), 303);
    }
    const now = core.now();
    const browserSecret = randomToken();
    const interaction: InteractionRecord = {
      id: randomId(),
      browserHash: sha256(browserSecret),
      request: result.request,
      createdAt: now,
      expiresAt: now + core.lifetimes.interaction * 1000,
      consumedAt: null,
    };
    await core.storage.interactions.create(interaction);
    reply.setCookie(interactionCookie, browserSecret, {
      ...cookieBase,
      path: interactionPath(interaction.id),
      maxAge: core.lifetimes.interaction,
    });
    const langQuery =
      typeof (request.query as { lang?: unknown } | undefined)?.lang === 'string' ? `?lang=${lang}` : '';
    return seeOther(reply, `${interactionPath(interaction.id)}${langQuery}`);
  });

  // Login or consent, whichever the seller needs next.
  app.get<{ Params: { id: string } }>(
    '/oauth/interaction/:id',
    { config: { kind: 'page' } },
    async (request, reply) => {
      const loaded = await loadInteraction(request, reply, null, pageReads);
      if (!loaded) return reply;
      return renderInteraction(request, reply, loaded.interaction, loaded.browserSecret, {}, loaded.read);
    },
  );

  // Seller login. A new session id every time (no session fixation).
  app.post<{ Params: { id: string } }>(
    '/oauth/interaction/:id/login',
    { config: { kind: 'page' } },
    async (request, reply) => {
      const form = formParams(request);
      const loaded = await loadInteraction(request, reply, param(form, 'csrf_token'));
      if (!loaded) return reply;
      const username = (param(form, 'username') ?? '').trim();
      const password = param(form, 'password') ?? '';
      // Lockout (OWASP ASVS V2.2.1): while a username or IP is blocked, the password is not checked.
      // One budget with the seller center's sign-in (src/console/login-guard.ts).
      const guard = loginGuard(ctx, request, 'seller', username);
      const locked = (wait: number) =>
        renderInteraction(request, reply, loaded.interaction, loaded.browserSecret, {
          status: 429,
          error: guard.locked(reply, wait, requestLang(ctx, request)),
          username,
        });
      // Counted before the check, in the budgets every node shares (docs/adr/0110).
      const waitBefore = await guard.waitBefore();
      if (waitBefore > 0) {
        request.log.info({ username }, 'seller login refused: locked');
        return locked(waitBefore);
      }
      const result = await ctx.sellerSignIn.signIn(username, password, request.log);
      if (result.kind === 'unavailable') {
        // The platform's account system did not decide: not the seller's fault, so no lockout failure.
        await guard.cancelled();
        reply.header('retry-after', String(DIRECTORY_RETRY_AFTER_SECONDS));
        return renderInteraction(request, reply, loaded.interaction, loaded.browserSecret, {
          status: 503,
          error: t(requestLang(ctx, request)).signInUnavailable,
          username,
        });
      }
      const seller = result.kind === 'signed_in' ? result.seller : undefined;
      if (!seller) {
        request.log.info({ username }, 'seller login failed');
        forgetSellerCookie(ctx, request, reply);
        const waitAfter = await guard.failed();
        if (waitAfter > 0) return locked(waitAfter);
        return renderInteraction(request, reply, loaded.interaction, loaded.browserSecret, {
          status: 401,
          error: t(requestLang(ctx, request)).wrongPassword,
          username,
        });
      }
      await guard.succeeded();
      // Disabled by an operator (management API, docs/adr/0131): told so only after the right password.
      if (seller.disabledAt) {
        request.log.info({ sellerId: seller.sellerId }, 'seller login refused: disabled');
        return renderInteraction(request, reply, loaded.interaction, loaded.browserSecret, {
          status: 403,
          error: t(requestLang(ctx, request)).sellerDisabled,
          username,
        });
      }
      // Remember me: a 30-day session instead of the usual one.
      const remember = param(form, 'remember') === '1';
      await startSellerSession(
        ctx,
        request,
        reply,
        seller.sellerId,
        remember ? REMEMBER_ME_SECONDS : core.lifetimes.session,
      );
      request.log.info({ sellerId: seller.sellerId }, 'seller logged in');
      return seeOther(reply, interactionPath(loaded.interaction.id));
    },
  );

  // Seller login at the platform's IdP (docs/adr/0160): off to the IdP with code + PKCE, state and
  // nonce; the callback (seller-oidc.route.ts) signs the seller in and comes back to this interaction.
  if (ctx.sellerOidc) {
    const oidcLogin = ctx.sellerOidc;
    app.post<{ Params: { id: string } }>(
      '/oauth/interaction/:id/oidc',
      { config: { kind: 'page' } },
      async (request, reply) => {
        const form = formParams(request);
        const loaded = await loadInteraction(request, reply, param(form, 'csrf_token'));
        if (!loaded) return reply;
        const lang =
          typeof (request.query as Record<string, unknown>)?.lang === 'string' ? requestLang(ctx, request) : undefined;
        const returnTo = `${interactionPath(loaded.interaction.id)}${lang ? `?lang=${lang}` : ''}`;
        return startSellerOidc(ctx, oidcLogin, request, reply, returnTo, () =>
          renderInteraction(request, reply, loaded.interaction, loaded.browserSecret, {
            status: 503,
            error: t(requestLang(ctx, request)).signInUnavailable,
          }),
        );
      },
    );
  }

  // Consent: approve with a store, or deny. The interaction is consumed exactly once.
  app.post<{ Params: { id: string } }>(
    '/oauth/interaction/:id/consent',
    { config: { kind: 'page' } },
    async (request, reply) => {
      const form = formParams(request);
      // The seller and their stores read with the interaction (docs/adr/0189).
      const loaded = await loadInteraction(request, reply, param(form, 'csrf_token'), { stores: true });
      if (!loaded) return reply;
      const { interaction } = loaded;
      const seller = loaded.read!.seller;
      if (!seller) return renderInteraction(request, reply, interaction, loaded.browserSecret, { status: 401 });
      const decision = param(form, 'decision');
      const m = t(requestLang(ctx, request));
      if (decision !== 'approve' && decision !== 'deny') {
        return renderInteraction(request, reply, interaction, loaded.browserSecret, {
          status: 400,
          error: m.pickStore,
        });
      }
      if (
        decision === 'approve' &&
        !(await sellerMayAuthorize(core.storage, interaction.request.appKey, seller.sellerId))
      ) {
        return renderInteraction(request, reply, interaction, loaded.browserSecret, {
          status: 403,
          error: ct(requestLang(ctx, request)).testingRefused,
        });
      }
      if (decision === 'approve' && (await refusedForSubscription(request, reply, interaction, seller.sellerId)))
        return reply;
      let storeIds: number[] = [];
      let scope = interaction.request.scope;
      if (decision === 'approve') {
        // The packages the seller left ticked (no `scope` field at all: the page's defaults).
        const chosen = chosenScope(profile, interaction.request.scope, form.get('scope'));
        if (chosen === undefined)
          return renderInteraction(request, reply, interaction, loaded.browserSecret, {
            status: 400,
            error: m.badScope,
          });
        scope = chosen;
        const stores = loaded.read!.stores!;
        if (grantRules(profile).stores === 'several') {
          // Checkboxes: one or more `store_id`, each one of this seller's stores.
          const wanted = [...new Set(form.get('store_id') ?? [])];
          storeIds = wanted.map((w) => stores.find((s) => String(s.storeId) === w)?.storeId ?? NaN);
          if (storeIds.length === 0 || storeIds.some((id) => Number.isNaN(id))) {
            return renderInteraction(request, reply, interaction, loaded.browserSecret, {
              status: 400,
              error: m.pickStores,
            });
          }
        } else {
          const wanted = Number(param(form, 'store_id'));
          const storeId = stores.find((s) => s.storeId === wanted)?.storeId;
          if (storeId === undefined)
            return renderInteraction(request, reply, interaction, loaded.browserSecret, {
              status: 400,
              error: m.pickStore,
            });
          storeIds = [storeId];
        }
      }
      if (decision === 'approve' && interaction.request.responseType === 'code') {
        // The code flow: consume the interaction and store the code in one transaction (issue 18).
        const location = await approveAuthorization(
          core,
          { ...interaction.request, scope },
          seller.sellerId,
          storeIds,
          { consumeInteraction: interaction.id },
        );
        // Lost the race to a concurrent post of the same form: a replay, like a used form (403).
        if (location === undefined) return page(request, reply, 403, m.expired, interaction.request.view);
        reply.clearCookie(interactionCookie, { ...cookieBase, path: interactionPath(interaction.id) });
        request.log.info(
          { sellerId: seller.sellerId, storeIds, scope: scope.join(' '), appKey: interaction.request.appKey },
          'seller approved authorization',
        );
        return seeOther(reply, location);
      }
      if (!(await core.storage.interactions.consume(interaction.id, core.now()))) {
        // Lost the race to a concurrent post of the same form: a replay, like a used form (403).
        return page(request, reply, 403, m.expired, interaction.request.view);
      }
      reply.clearCookie(interactionCookie, { ...cookieBase, path: interactionPath(interaction.id) });
      if (decision === 'deny') {
        request.log.info(
          { sellerId: seller.sellerId, appKey: interaction.request.appKey },
          'seller denied authorization',
        );
        return seeOther(reply, denyAuthorization(core, interaction.request));
      }
      const location = (await approveAuthorization(
        core,
        { ...interaction.request, scope },
        seller.sellerId,
        storeIds,
      ))!;
      request.log.info(
        { sellerId: seller.sellerId, storeIds, scope: scope.join(' '), appKey: interaction.request.appKey },
        'seller approved authorization',
      );
      return seeOther(reply, location);
    },
  );
}
