import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ParamBag } from '../core/params.js';
import { seeOther, type HttpContext } from '../server/http-context.js';
import { checkedForm } from './web-kit.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A console route that answers a browser nobody is signed in with (sign-in pages, sign-out, reset links). */
    signedOut?: boolean;
  }
}

/** Route options of a console page that needs a signed-in principal (the default). */
export const PAGE = { config: { kind: 'page' as const } };
/** Route options of a console page that answers without one. */
export const SIGNED_OUT = { config: { kind: 'page' as const, signedOut: true } };

/** What a console's routes read from its sign-in hook. */
export interface ConsoleSignIn<P> {
  /** The principal the hook signed in for this request (never on a {@link SIGNED_OUT} route). */
  principal(request: FastifyRequest): P;
  /** The form of this POST, its CSRF token and origin already checked by the hook. */
  form(request: FastifyRequest): ParamBag;
}

/**
 * The sign-in `preHandler` of one console (docs/adr/0174), added to that console's encapsulated
 * plugin only, so it never runs for another console or the OAuth routes. For every request of the
 * console, in this order:
 *
 * 1. a POST's form is parsed and refused with a 403 page unless its CSRF token and origin check out
 *    (`checkedForm`, the synchronizer token of OWASP's CSRF cheat sheet) — sign-in forms included;
 * 2. a {@link SIGNED_OUT} route goes on; any other runs `beforeFind` (the seller center sets its
 *    language and CSRF cookies first, as its pages always did), then `find`: no principal is a 303
 *    to the console's sign-in page, and the handler never runs;
 * 3. the principal is put on the request (`request.getDecorator(name)`) for {@link ConsoleSignIn.principal}.
 */
export function installSignIn<P>(
  app: FastifyInstance,
  ctx: HttpContext,
  opts: {
    /** The request decorator holding the principal (`seller`, `developer`, `operator`). */
    name: string;
    /** Where a browser without a session is sent. */
    loginPath: string;
    find(request: FastifyRequest): Promise<P | undefined>;
    beforeFind?(request: FastifyRequest, reply: FastifyReply): void;
  },
): ConsoleSignIn<P> {
  const FORM = 'consoleForm';
  app.decorateRequest(opts.name, null);
  app.decorateRequest(FORM, null);
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'POST') request.setDecorator(FORM, checkedForm(ctx, request));
    if (request.routeOptions.config.signedOut) return;
    opts.beforeFind?.(request, reply);
    const principal = await opts.find(request);
    if (principal === undefined) return seeOther(reply, opts.loginPath);
    request.setDecorator(opts.name, principal);
  });
  return {
    principal(request) {
      const p = request.getDecorator<P | null>(opts.name);
      if (p === null) throw new Error(`no signed-in ${opts.name} on ${request.routeOptions.url ?? request.url}`);
      return p;
    },
    form(request) {
      const form = request.getDecorator<ParamBag | null>(FORM);
      if (form === null)
        throw new Error(`no checked form on ${request.method} ${request.routeOptions.url ?? request.url}`);
      return form;
    },
  };
}
