import type { FastifyInstance } from 'fastify';
import { frame } from '../../console/frame.js';
import { checkedForm, currentAccount, field, PageError } from '../../console/web-kit.js';
import { param } from '../../core/params.js';
import {
  checkPasswordResetToken,
  completeSellerPasswordReset,
  issueSellerPasswordReset,
  PASSWORD_RESET_PATH,
  PasswordResetRefused,
} from '../../sellers/password-reset.js';
import { queryParams, seeOther, sendPage, type HttpContext } from '../http-context.js';
import { ct } from '../pages/console-i18n.js';
import {
  passwordResetInvalidPage,
  passwordResetIssuedPage,
  passwordResetPage,
  resetWords,
} from '../pages/password-reset-pages.js';

/**
 * Seller password reset for built-in accounts (docs/adr/0126): an operator issues a one-time link
 * (`POST /admin/sellers/:sellerId/password-reset`, the CLI, the management API); the seller opens
 * `/account/reset-password?token=…` and sets a new password, which ends all their sessions.
 */
export async function passwordResetRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { core } = ctx;
  const cfg = { config: { kind: 'page' as const } };

  app.get(PASSWORD_RESET_PATH, cfg, async (request, reply) => {
    const f = frame(ctx, request, reply, 'account');
    const token = param(queryParams(request), 'token') ?? '';
    // The language switch keeps the token (the page is useless without it).
    const langSwitch = `${PASSWORD_RESET_PATH}?token=${encodeURIComponent(token)}&lang=${f.lang === 'en' ? 'zh-CN' : 'en'}`;
    const valid = await checkPasswordResetToken(core.storage, token, core.now());
    if (!valid) return sendPage(reply, 400, passwordResetInvalidPage({ ...f, langSwitch }));
    reply.header('referrer-policy', 'no-referrer');
    return sendPage(
      reply,
      200,
      passwordResetPage({ ...f, langSwitch, token, username: valid.username, action: PASSWORD_RESET_PATH }),
    );
  });

  app.post(PASSWORD_RESET_PATH, cfg, async (request, reply) => {
    const form = checkedForm(ctx, request);
    const f = frame(ctx, request, reply, 'account');
    const token = field(form, 'token');
    const result = await completeSellerPasswordReset(
      core.storage,
      token,
      param(form, 'new_password') ?? '',
      core.now(),
    );
    if (result.status === 'invalid') return sendPage(reply, 400, passwordResetInvalidPage(f));
    if (result.status === 'weak') {
      const valid = await checkPasswordResetToken(core.storage, token, core.now());
      if (!valid) return sendPage(reply, 400, passwordResetInvalidPage(f));
      return sendPage(
        reply,
        400,
        passwordResetPage({
          ...f,
          error: ct(f.lang).passwordRule,
          token,
          username: valid.username,
          action: PASSWORD_RESET_PATH,
        }),
      );
    }
    request.log.info({ sellerId: result.sellerId }, 'seller password reset through a reset link');
    return seeOther(reply, '/account/login?done=password-reset');
  });

  // /admin: the operator issues a link from the seller lookup.
  app.post<{ Params: { sellerId: string } }>('/admin/sellers/:sellerId/password-reset', cfg, async (request, reply) => {
    checkedForm(ctx, request);
    const op = await currentAccount(ctx, request, 'operator');
    if (!op) return seeOther(reply, '/admin/login');
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
}
