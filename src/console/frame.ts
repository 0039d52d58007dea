import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpContext } from '../server/http-context.js';
import type { Lang } from '../server/pages/i18n.js';
import type { Area, ConsoleFrame } from './console-pages.js';
import { csrfToken, pageLang } from './web-kit.js';

/** What every console page needs: language, CSRF token, the language switch link. */
export function frame(
  ctx: HttpContext,
  request: FastifyRequest,
  reply: FastifyReply,
  area: Area,
): ConsoleFrame & { csrf: string; lang: Lang } {
  const lang = pageLang(ctx, request, reply);
  const path = (request.raw.url ?? '/').split('?')[0] ?? '/';
  return {
    lang,
    platform: ctx.core.profile.title,
    area,
    langSwitch: `${path}?lang=${lang === 'en' ? 'zh-CN' : 'en'}`,
    csrf: csrfToken(ctx, request, reply),
  };
}

/** The plain-words description of a scope in the page's language. */
export function scopeWords(ctx: HttpContext, lang: Lang): (scope: string) => string {
  return (scope) => ctx.core.profile.scopes[scope]?.[lang === 'en' ? 'en' : 'zh'] ?? scope;
}

/** Short notices passed across a 303 redirect as `?done=…` (never user text). */
export function doneParam(request: FastifyRequest): string | undefined {
  const d = (request.query as Record<string, unknown> | undefined)?.done;
  return typeof d === 'string' ? d : undefined;
}
