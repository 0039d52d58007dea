import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { seal, unseal } from '../../crypto/seal.js';
import { base32Encode, matchTotp, otpauthUri } from '../../crypto/totp.js';
import {
  checkSecondFactor,
  issueRecoveryCodes,
  openTotpSecret,
  startTotpEnrolment,
  totpIssuerLabel,
} from '../operator-totp.js';
import { setAppStatus } from '../../apps/apps.js';
import { verifyPassword } from '../../crypto/password.js';
import { doneParam, frame, scopeWords } from '../frame.js';
import { audit, currentAccount, endSession, field, PageError, startAccountSession } from '../web-kit.js';
import { loginGuard } from '../login-guard.js';
import { installSignIn, PAGE, SIGNED_OUT } from '../sign-in.js';
import type { AppStatus } from '../../storage/ports.js';
import type { WebAccount } from '../../storage/console-ports.js';
import { seeOther, sendPage, type HttpContext } from '../../server/http-context.js';
import { ct } from '../../server/pages/console-i18n.js';
import { issueSellerPasswordReset, PasswordResetRefused } from '../../sellers/password-reset.js';
import { resetWords } from '../seller-center/password-reset-pages.js';
import { operatorSubscriptionRoutes } from './subscriptions.js';
import {
  adminAppPage,
  adminHomePage,
  passwordResetIssuedPage,
  recoveryCodesPage,
  totpCodePage,
  totpEnrolPage,
  adminAppsSection,
  adminAuditPage,
  adminNav,
  adminSellerPage,
  adminSellersPage,
  aw,
} from './admin-pages.js';
import { listApps, listAudit, listSellers } from '../../management/services.js';
import { ManagementError } from '../../management/management-error.js';
import { loadAppView } from '../../apps/apps.js';
import type { Lang } from '../../server/pages/i18n.js';
import { credentialsPage } from '../console-pages.js';

/** Rows per page of the admin's lists. */
const ADMIN_PAGE = 50;
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** A list page; a cursor or filter the list does not accept is a 400 page, not a 500. */
async function pageOr400<T>(fn: () => Promise<T>, lang: Lang): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ManagementError && e.status === 400) throw new PageError(400, aw(lang).badCursor, e.message);
    throw e;
  }
}

/** Where the operator admin lives. */
export const OPERATOR_ADMIN_PREFIX = '/admin';

/**
 * The operator admin (`/admin`): approve submitted apps, suspend an app (its tokens stop
 * working at once, RFC 6750 §3.1 `invalid_token`), reinstate it, look up a seller's
 * authorizations, read the audit log. Operators are made with `shouquan operator create`.
 *
 * An encapsulated Fastify plugin registered under {@link OPERATOR_ADMIN_PREFIX}: its sign-in hook
 * (src/console/sign-in.ts) checks every POST's CSRF token and sends a browser without an operator
 * session to `/admin/login`, except on the sign-in steps (password, TOTP, enrolment) and sign-out.
 * The management API (`/admin/api/v1/…`) is another plugin: this hook never runs for it.
 */
export async function operatorAdminPlugin(app: FastifyInstance, opts: { ctx: HttpContext }): Promise<void> {
  const { ctx } = opts;
  const { core } = ctx;
  const signIn = installSignIn<WebAccount>(app, ctx, {
    name: 'operator',
    loginPath: '/admin/login',
    find: (request) => currentAccount(ctx, request, 'operator'),
  });

  app.get('/login', SIGNED_OUT, async (request, reply) => {
    const f = frame(ctx, request, reply, 'admin');
    if (await currentAccount(ctx, request, 'operator')) return seeOther(reply, '/admin');
    const m = ct(f.lang);
    return sendPage(
      reply,
      200,
      credentialsPage({ ...f, title: m.signIn, sub: m.adminSignInSub, action: '/admin/login', submit: m.signIn }),
    );
  });

  app.post('/login', SIGNED_OUT, async (request, reply) => {
    const form = signIn.form(request);
    const f = frame(ctx, request, reply, 'admin');
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
          sub: m.adminSignInSub,
          action: '/admin/login',
          submit: m.signIn,
        }),
      );
    const guard = loginGuard(ctx, request, 'operator', username);
    const waitBefore = await guard.waitBefore();
    if (waitBefore > 0) return again(429, guard.locked(reply, waitBefore, f.lang));
    const account = username ? await core.storage.console.findAccount('operator', username) : undefined;
    const ok = await verifyPassword(account?.passwordHash, form.get('password')?.[0] ?? '');
    if (!account || !ok) {
      request.log.info({ username }, 'operator login failed');
      const waitAfter = await guard.failed();
      return waitAfter > 0 ? again(429, guard.locked(reply, waitAfter, f.lang)) : again(401, m.wrongPassword);
    }
    await guard.succeeded();
    // The password is right: the second step (docs/adr/0161). A code once enrolled, else enrolment.
    const enrolled = account.totpEnabledAt != null && account.totpSecret != null;
    setPending(reply, account.accountId, enrolled ? 'code' : 'enrol');
    return seeOther(reply, enrolled ? '/admin/login/code' : '/admin/login/enrol');
  });

  // --- Second step: TOTP (RFC 6238) or a recovery code; enrolment on first sign-in. ---
  const pendingCookie = ctx.cookieSecure ? '__Secure-sq_op_pending' : 'sq_op_pending';
  const PENDING_SECONDS = 300;
  const PENDING_PURPOSE = 'operator-login-pending';
  // Set and cleared with the same attributes: a clearing Set-Cookie without Secure is ignored for a __Secure- name.
  const pendingFlags = { httpOnly: true, sameSite: 'lax' as const, secure: ctx.cookieSecure };
  function setPending(reply: FastifyReply, accountId: number, stage: 'code' | 'enrol') {
    const value = seal(
      core.secretKey,
      PENDING_PURPOSE,
      stage,
      JSON.stringify({ a: accountId, exp: core.now() + PENDING_SECONDS * 1000 }),
    );
    reply.setCookie(pendingCookie, value, { ...pendingFlags, path: '/admin/login', maxAge: PENDING_SECONDS });
  }
  /** The operator whose password was right a moment ago in this browser, for this stage. */
  async function pendingAccount(request: FastifyRequest, stage: 'code' | 'enrol') {
    const raw = request.cookies[pendingCookie];
    const text = raw ? unseal(core.secretKey, PENDING_PURPOSE, stage, raw) : undefined;
    if (!text) return undefined;
    const { a, exp } = JSON.parse(text) as { a: number; exp: number };
    if (exp <= core.now()) return undefined;
    const account = await core.storage.console.account(a);
    return account?.realm === 'operator' ? account : undefined;
  }
  const signInAgain = (request: FastifyRequest, reply: FastifyReply) => {
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    return sendPage(
      reply,
      401,
      credentialsPage({
        ...f,
        error: m.signInAgain,
        title: m.signIn,
        sub: m.adminSignInSub,
        action: '/admin/login',
        submit: m.signIn,
      }),
    );
  };
  const label = () => totpIssuerLabel(core.profile.title, core.issuer);

  app.get('/login/code', SIGNED_OUT, async (request, reply) => {
    const f = frame(ctx, request, reply, 'admin');
    if (!(await pendingAccount(request, 'code'))) return seeOther(reply, '/admin/login');
    return sendPage(reply, 200, totpCodePage({ ...f }));
  });

  app.post('/login/code', SIGNED_OUT, async (request, reply) => {
    const form = signIn.form(request);
    const account = await pendingAccount(request, 'code');
    if (!account) return signInAgain(request, reply);
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    const again = (status: number, error: string) => sendPage(reply, status, totpCodePage({ ...f, error }));
    // Wrong codes count towards the operator's lockout like wrong passwords.
    const guard = loginGuard(ctx, request, 'operator', account.username);
    const waitBefore = await guard.waitBefore();
    if (waitBefore > 0) return again(429, guard.locked(reply, waitBefore, f.lang));
    const passed = await checkSecondFactor(core.storage, core.secretKey, account, field(form, 'code'), core.now());
    if (!passed) {
      request.log.info({ username: account.username }, 'operator second factor failed');
      const waitAfter = await guard.failed();
      return waitAfter > 0 ? again(429, guard.locked(reply, waitAfter, f.lang)) : again(401, m.totpWrong);
    }
    await guard.succeeded();
    reply.clearCookie(pendingCookie, { ...pendingFlags, path: '/admin/login' });
    await startAccountSession(ctx, request, reply, account);
    await audit(ctx, {
      actor: `operator:${account.username}`,
      event: 'console.operator_login',
      detail: { second_factor: passed },
    });
    if (passed === 'recovery') {
      const left = await core.storage.console.recoveryCodesLeft(account.accountId);
      return seeOther(reply, `/admin?recovery_left=${left}`);
    }
    return seeOther(reply, '/admin');
  });

  app.get('/login/enrol', SIGNED_OUT, async (request, reply) => {
    const f = frame(ctx, request, reply, 'admin');
    let account = await pendingAccount(request, 'enrol');
    if (!account) return seeOther(reply, '/admin/login');
    // One secret per pending enrolment: reloading the page shows the same one.
    let secret = account.totpEnabledAt == null ? openTotpSecret(core.secretKey, account) : undefined;
    if (!secret) {
      await startTotpEnrolment(core.storage, core.secretKey, account, label(), null);
      account = (await core.storage.console.account(account.accountId))!;
      secret = openTotpSecret(core.secretKey, account)!;
    }
    const text = base32Encode(secret);
    return sendPage(
      reply,
      200,
      totpEnrolPage({ ...f, secret: text, uri: otpauthUri(text, label(), account.username) }),
    );
  });

  app.post('/login/enrol', SIGNED_OUT, async (request, reply) => {
    const form = signIn.form(request);
    const account = await pendingAccount(request, 'enrol');
    if (!account) return signInAgain(request, reply);
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    const secret = account.totpEnabledAt == null ? openTotpSecret(core.secretKey, account) : undefined;
    if (!secret) return seeOther(reply, '/admin/login/enrol');
    const text = base32Encode(secret);
    const guard = loginGuard(ctx, request, 'operator', account.username);
    const waitBefore = await guard.waitBefore();
    const again = (status: number, error: string) =>
      sendPage(
        reply,
        status,
        totpEnrolPage({ ...f, error, secret: text, uri: otpauthUri(text, label(), account.username) }),
      );
    if (waitBefore > 0) return again(429, guard.locked(reply, waitBefore, f.lang));
    const now = core.now();
    const step = matchTotp(secret, field(form, 'code'), now, null);
    if (step === undefined) {
      const waitAfter = await guard.failed();
      return waitAfter > 0 ? again(429, guard.locked(reply, waitAfter, f.lang)) : again(401, m.totpWrong);
    }
    await guard.succeeded();
    await core.storage.console.setTotp(account.accountId, account.totpSecret!, now);
    await core.storage.console.acceptTotpStep(account.accountId, step);
    const codes = await issueRecoveryCodes(core.storage, account.accountId, now);
    reply.clearCookie(pendingCookie, { ...pendingFlags, path: '/admin/login' });
    await startAccountSession(ctx, request, reply, account);
    await audit(ctx, { actor: `operator:${account.username}`, event: 'console.operator_totp_enrolled' });
    await audit(ctx, {
      actor: `operator:${account.username}`,
      event: 'console.operator_login',
      detail: { second_factor: 'totp' },
    });
    reply.header('cache-control', 'no-store');
    return sendPage(
      reply,
      200,
      recoveryCodesPage({ ...f, user: { name: account.username, logoutAction: '/admin/logout', csrf: f.csrf }, codes }),
    );
  });

  app.post('/logout', SIGNED_OUT, async (request, reply) => {
    await endSession(ctx, request, reply, 'operator');
    return seeOther(reply, '/admin/login');
  });

  app.get('', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    const query = request.query as Record<string, unknown>;
    const filter = { q: str(query.q).trim().slice(0, 100), status: str(query.status), cursor: str(query.cursor) };
    const listed = await pageOr400(
      () =>
        listApps(core.storage, {
          q: filter.q || undefined,
          status: filter.status || undefined,
          cursor: filter.cursor || undefined,
          limit: ADMIN_PAGE,
        }),
      f.lang,
    );
    const names = await core.storage.console.accountNames(
      listed.items.flatMap((a) => (a.developerId === null ? [] : [a.developerId])),
    );
    const apps = listed.items.map((a) => ({
      ...a,
      developer: a.developerId === null ? null : (names.get(a.developerId) ?? String(a.developerId)),
    }));
    const appsSection = adminAppsSection({ lang: f.lang, csrf: f.csrf }, apps, filter, listed.nextCursor);
    const q = (request.query as Record<string, unknown>).seller;
    let lookup;
    if (typeof q === 'string' && q.trim() !== '') {
      const seller = await core.storage.sellers.findByUsername(q.trim());
      lookup = {
        username: q.trim(),
        found: !!seller,
        authorizations: seller ? await core.storage.console.authorizationsOfSeller(seller.sellerId) : [],
        // A built-in seller's password can be reset from here (docs/adr/0126).
        resetSellerId: seller && ctx.sellerSignIn.ownsPassword(seller) ? seller.sellerId : undefined,
        sellerId: seller?.sellerId,
      };
    }
    const done = doneParam(request);
    const left = (request.query as Record<string, unknown>).recovery_left;
    const notice =
      done === 'status'
        ? m.statusChanged
        : done === 'token-revoked'
          ? m.tokenRevoked
          : done === 'rejected'
            ? aw(f.lang).rejected
            : typeof left === 'string' && /^\d{1,2}$/.test(left)
              ? `${m.recoveryLeft} ${left}`
              : undefined;
    const tokens = await core.storage.management.listOperatorTokens();
    return sendPage(
      reply,
      200,
      adminHomePage({
        ...f,
        notice,
        user: { name: op.username, logoutAction: '/admin/logout', csrf: f.csrf },
        nav: adminNav(f.lang, 'apps'),
        appsSection,
        lookup,
        scopeWords: scopeWords(ctx, f.lang),
        tokens,
      }),
    );
  });

  app.post<{ Params: { appKey: string } }>('/apps/:appKey/status', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    const status = field(form, 'status') as AppStatus;
    if (!(['live', 'suspended', 'testing', 'submitted'] as const).includes(status))
      throw new PageError(400, m.badStatus, `bad status ${status}`);
    const existing = await core.storage.apps.find(request.params.appKey);
    if (!existing) throw new PageError(404, m.appNotFound, 'no such app');
    await setAppStatus(core.storage, existing.appKey, status, core.now(), {
      actor: `operator:${op.username}`,
      event: 'console.app_status_changed',
    });
    // Approved: the note of an earlier return is done with (docs/adr/0162).
    if (status === 'live' && existing.status === 'submitted')
      await core.storage.console.setReviewNote(existing.appKey, null, null);
    request.log.info({ appKey: existing.appKey, from: existing.status, to: status }, 'app status changed by operator');
    return seeOther(reply, '/admin?done=status');
  });

  // Revoke a management API token (docs/management-api.md): it answers 401 from now on. Audited.
  app.post<{ Params: { tokenId: string } }>('/operator-tokens/:tokenId/revoke', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const m = ct(frame(ctx, request, reply, 'admin').lang);
    const id = /^\d{1,15}$/.test(request.params.tokenId) ? Number(request.params.tokenId) : NaN;
    if (!(await core.storage.management.revokeOperatorToken(id, core.now(), `operator:${op.username}`)))
      throw new PageError(404, m.tokenNotFound, 'no such live token');
    request.log.info({ tokenId: id }, 'operator token revoked in /admin');
    return seeOther(reply, '/admin?done=token-revoked#operator-tokens');
  });

  // --- The admin at scale (docs/adr/0162): one app to review, sellers, the audit log. ---
  const operatorUser = (op: { username: string }, csrf: string) => ({
    name: op.username,
    logoutAction: '/admin/logout',
    csrf,
  });

  app.get<{ Params: { appKey: string } }>('/apps/:appKey', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const a = /^[A-Za-z0-9_-]{1,64}$/.test(request.params.appKey)
      ? await loadAppView(core.storage, request.params.appKey)
      : undefined;
    if (!a) throw new PageError(404, ct(f.lang).appNotFound, 'no such app');
    const developer =
      a.developerId === null
        ? null
        : ((await core.storage.console.accountNames([a.developerId])).get(a.developerId) ?? null);
    return sendPage(
      reply,
      200,
      adminAppPage({ ...f, user: operatorUser(op, f.csrf), app: a, developer, scopeWords: scopeWords(ctx, f.lang) }),
    );
  });

  // Return a submitted app to its developer with a reason they see in the developer console.
  app.post<{ Params: { appKey: string } }>('/apps/:appKey/reject', PAGE, async (request, reply) => {
    const form = signIn.form(request);
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const w = aw(f.lang);
    const a = /^[A-Za-z0-9_-]{1,64}$/.test(request.params.appKey)
      ? await loadAppView(core.storage, request.params.appKey)
      : undefined;
    if (!a) throw new PageError(404, ct(f.lang).appNotFound, 'no such app');
    const reason = (form.get('reason')?.[0] ?? '').trim();
    const again = async (status: number, error: string) => {
      const developer =
        a.developerId === null
          ? null
          : ((await core.storage.console.accountNames([a.developerId])).get(a.developerId) ?? null);
      return sendPage(
        reply,
        status,
        adminAppPage({
          ...f,
          error,
          user: operatorUser(op, f.csrf),
          app: a,
          developer,
          scopeWords: scopeWords(ctx, f.lang),
          reason,
        }),
      );
    };
    if (a.status !== 'submitted') return again(409, w.notSubmitted);
    if (reason === '' || reason.length > 500) return again(400, w.reasonRule);
    const now = core.now();
    await setAppStatus(core.storage, a.appKey, 'testing', now, {
      actor: `operator:${op.username}`,
      event: 'console.app_rejected',
      detail: { from: 'submitted', to: 'testing', reason },
    });
    await core.storage.console.setReviewNote(a.appKey, reason, now);
    request.log.info({ appKey: a.appKey }, 'app returned to its developer by an operator');
    return seeOther(reply, '/admin?done=rejected');
  });

  app.get('/sellers', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const query = request.query as Record<string, unknown>;
    const q = str(query.q).trim().slice(0, 100);
    const cursor = str(query.cursor);
    const listed = await pageOr400(
      () => listSellers(core.storage, { q: q || undefined, cursor: cursor || undefined, limit: ADMIN_PAGE }),
      f.lang,
    );
    const sellers = await Promise.all(listed.items.map(async (x) => ({ ...x, ...(await sellerSource(x.sellerId)) })));
    return sendPage(
      reply,
      200,
      adminSellersPage({ ...f, user: operatorUser(op, f.csrf), sellers, q, cursor, nextCursor: listed.nextCursor }),
    );
  });

  async function sellerSource(sellerId: number) {
    const r = await core.storage.sellers.find(sellerId);
    return { source: r?.source ?? 'builtin', nick: r?.nick ?? null };
  }

  app.get<{ Params: { sellerId: string } }>('/sellers/:sellerId', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const id = /^\d{1,15}$/.test(request.params.sellerId) ? Number(request.params.sellerId) : NaN;
    const summary = Number.isNaN(id) ? undefined : await core.storage.management.seller(id);
    const record = summary ? await core.storage.sellers.find(id) : undefined;
    if (!summary || !record) throw new PageError(404, ct(f.lang).noSuchSeller, 'no such seller');
    return sendPage(
      reply,
      200,
      adminSellerPage({
        ...f,
        user: operatorUser(op, f.csrf),
        seller: { ...summary, source: record.source ?? 'builtin', nick: record.nick ?? null },
        authorizations: await core.storage.console.authorizationsOfSeller(id),
        scopeWords: scopeWords(ctx, f.lang),
        resetSellerId: ctx.sellerSignIn.ownsPassword(record) ? id : undefined,
      }),
    );
  });

  app.get('/audit', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const query = request.query as Record<string, unknown>;
    const action = str(query.action).trim().slice(0, 100);
    const actor = str(query.actor).trim().slice(0, 200);
    const cursor = str(query.cursor);
    const listed = await pageOr400(
      () =>
        listAudit(core.storage, {
          action: action || undefined,
          actor: actor || undefined,
          cursor: cursor || undefined,
          limit: ADMIN_PAGE,
        }),
      f.lang,
    );
    return sendPage(
      reply,
      200,
      adminAuditPage({
        ...f,
        user: operatorUser(op, f.csrf),
        entries: listed.items,
        action,
        actor,
        cursor,
        nextCursor: listed.nextCursor,
      }),
    );
  });

  // A seller password reset link (docs/adr/0126), issued from the seller lookup.
  app.post<{ Params: { sellerId: string } }>('/sellers/:sellerId/password-reset', PAGE, async (request, reply) => {
    const op = signIn.principal(request);
    const f = frame(ctx, request, reply, 'admin');
    const sellerId = /^\d{1,15}$/.test(request.params.sellerId) ? Number(request.params.sellerId) : NaN;
    try {
      const issued = await issueSellerPasswordReset(core.storage, {
        sellerId,
        baseUrl: core.issuer,
        actor: `operator:${op.username}`,
        now: core.now(),
      });
      request.log.info({ sellerId, operator: op.username }, 'seller password reset link issued');
      return sendPage(
        reply,
        201,
        passwordResetIssuedPage({
          ...f,
          user: { name: op.username, logoutAction: '/admin/logout', csrf: f.csrf },
          ...issued,
        }),
      );
    } catch (e) {
      if (!(e instanceof PasswordResetRefused)) throw e;
      if (e.code === 'seller_not_found') throw new PageError(404, ct(f.lang).noSuchSeller, e.message);
      throw new PageError(409, resetWords(f.lang).keptByPlatform, e.message);
    }
  });

  await operatorSubscriptionRoutes(app, ctx, signIn);
}
