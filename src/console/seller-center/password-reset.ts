import type { FastifyInstance } from 'fastify';
import { frame } from '../frame.js';
import type { ConsoleSignIn } from '../sign-in.js';
import { field } from '../web-kit.js';
import { param } from '../../core/params.js';
import {
  checkPasswordResetToken,
  completeSellerPasswordReset,
  PASSWORD_RESET_PATH,
} from '../../sellers/password-reset.js';
import { queryParams, seeOther, sendPage, type HttpContext } from '../../server/http-context.js';
import { ct } from '../../server/pages/console-i18n.js';
import { passwordResetInvalidPage, passwordResetPage } from './password-reset-pages.js';
import { SIGNED_OUT } from '../sign-in.js';

/**
 * Seller password reset for built-in accounts (docs/adr/0126): an operator issues a one-time link
 * (`POST /admin/sellers/:sellerId/password-reset`, the CLI, the management API); the seller opens
 * `/account/reset-password?token=…` and sets a new password, which ends all their sessions.
 * Routes of the seller center's plugin (`app` carries its prefix and sign-in hook), signed out.
 */
export async function passwordResetRoutes(
  app: FastifyInstance,
  ctx: HttpContext,
  signIn: ConsoleSignIn<unknown>,
  prefix: string,
): Promise<void> {
  const { core } = ctx;
  // PASSWORD_RESET_PATH is the whole path (it goes into links); the plugin adds its prefix.
  if (!PASSWORD_RESET_PATH.startsWith(`${prefix}/`)) throw new Error(`${PASSWORD_RESET_PATH} is not under ${prefix}`);
  const path = PASSWORD_RESET_PATH.slice(prefix.length);

  app.get(path, SIGNED_OUT, async (request, reply) => {
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

  app.post(path, SIGNED_OUT, async (request, reply) => {
    const form = signIn.form(request);
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
}
