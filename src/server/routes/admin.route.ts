import type { FastifyInstance } from 'fastify';
import { setAppStatus } from '../../apps/apps.js';
import { verifyPassword } from '../../crypto/password.js';
import { doneParam, frame, scopeWords } from '../../console/frame.js';
import { audit, checkedForm, currentAccount, endSession, field, loginGuard, PageError, startAccountSession } from '../../console/web-kit.js';
import type { AppStatus } from '../../storage/ports.js';
import { seeOther, sendPage, type HttpContext } from '../http-context.js';
import { ct } from '../pages/console-i18n.js';
import { adminHomePage, credentialsPage } from '../pages/console-pages.js';

/**
 * The operator admin (`/admin`): approve submitted apps, suspend an app (its tokens stop
 * working at once, RFC 6750 §3.1 `invalid_token`), reinstate it, look up a seller's
 * authorizations, read the audit log. Operators are made with `shouquan operator create`.
 */
export async function adminRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { core } = ctx;
  const cfg = { config: { kind: 'page' as const } };

  app.get('/admin/login', cfg, async (request, reply) => {
    const f = frame(ctx, request, reply, 'admin');
    if (await currentAccount(ctx, request, 'operator')) return seeOther(reply, '/admin');
    const m = ct(f.lang);
    return sendPage(reply, 200, credentialsPage({ ...f, title: m.signIn, sub: m.adminSignInSub, action: '/admin/login', submit: m.signIn }));
  });

  app.post('/admin/login', cfg, async (request, reply) => {
    const form = checkedForm(ctx, request);
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    const username = field(form, 'username');
    const again = (status: number, error: string) =>
      sendPage(reply, status, credentialsPage({ ...f, error, username, title: m.signIn, sub: m.adminSignInSub, action: '/admin/login', submit: m.signIn }));
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
    await startAccountSession(ctx, request, reply, account);
    await audit(ctx, { actor: `operator:${account.username}`, event: 'console.operator_login' });
    return seeOther(reply, '/admin');
  });

  app.post('/admin/logout', cfg, async (request, reply) => {
    checkedForm(ctx, request);
    await endSession(ctx, request, reply, 'operator');
    return seeOther(reply, '/admin/login');
  });

  app.get('/admin', cfg, async (request, reply) => {
    const op = await currentAccount(ctx, request, 'operator');
    if (!op) return seeOther(reply, '/admin/login');
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    const all = await core.storage.console.allApps();
    const names = new Map<number, string>();
    for (const a of all) {
      if (a.developerId !== null && !names.has(a.developerId)) names.set(a.developerId, (await core.storage.console.account(a.developerId))?.username ?? String(a.developerId));
    }
    const apps = all.map((a) => ({ ...a, developer: a.developerId === null ? null : (names.get(a.developerId) ?? null) }));
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
      };
    }
    const auditLog = await core.storage.console.recentAudit(50);
    const done = doneParam(request);
    const notice = done === 'status' ? m.statusChanged : done === 'token-revoked' ? m.tokenRevoked : undefined;
    const tokens = await core.storage.management.listOperatorTokens();
    return sendPage(reply, 200, adminHomePage({ ...f, notice, user: { name: op.username, logoutAction: '/admin/logout', csrf: f.csrf }, apps, audit: auditLog, lookup, scopeWords: scopeWords(ctx, f.lang), tokens }));
  });

  app.post<{ Params: { appKey: string } }>('/admin/apps/:appKey/status', cfg, async (request, reply) => {
    const form = checkedForm(ctx, request);
    const op = await currentAccount(ctx, request, 'operator');
    if (!op) return seeOther(reply, '/admin/login');
    const f = frame(ctx, request, reply, 'admin');
    const m = ct(f.lang);
    const status = field(form, 'status') as AppStatus;
    if (!(['live', 'suspended', 'testing', 'submitted'] as const).includes(status)) throw new PageError(400, m.badStatus, `bad status ${status}`);
    const existing = await core.storage.apps.find(request.params.appKey);
    if (!existing) throw new PageError(404, m.appNotFound, 'no such app');
    await setAppStatus(core.storage, existing.appKey, status, core.now(), { actor: `operator:${op.username}`, event: 'console.app_status_changed' });
    request.log.info({ appKey: existing.appKey, from: existing.status, to: status }, 'app status changed by operator');
    return seeOther(reply, '/admin?done=status');
  });

  // Revoke a management API token (docs/management-api.md): it answers 401 from now on. Audited.
  app.post<{ Params: { tokenId: string } }>('/admin/operator-tokens/:tokenId/revoke', cfg, async (request, reply) => {
    checkedForm(ctx, request);
    const op = await currentAccount(ctx, request, 'operator');
    if (!op) return seeOther(reply, '/admin/login');
    const m = ct(frame(ctx, request, reply, 'admin').lang);
    const id = /^\d{1,15}$/.test(request.params.tokenId) ? Number(request.params.tokenId) : NaN;
    if (!(await core.storage.management.revokeOperatorToken(id, core.now(), `operator:${op.username}`))) throw new PageError(404, m.tokenNotFound, 'no such live token');
    request.log.info({ tokenId: id }, 'operator token revoked in /admin');
    return seeOther(reply, '/admin?done=token-revoked#operator-tokens');
  });
}
