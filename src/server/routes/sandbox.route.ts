import type { FastifyInstance } from 'fastify';
import { SANDBOX_APP_KEY } from '../../sandbox.js';
import { html, layout } from '../pages/html.js';
import { queryParams, requestLang, sendPage, type HttpContext } from '../http-context.js';
import { InvalidRequestError } from '../../core/errors.js';

/** The largest single step of the sandbox clock: ten years. */
export const MAX_CLOCK_ADVANCE_SECONDS = 10 * 366 * 86_400;

/**
 * The sandbox app's own callback: shows what an ISV's server would receive, and the exact
 * request that swaps the code for tokens. Only served with `--sandbox`.
 */
export async function sandboxRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { profile } = ctx.core;
  // The sandbox clock (docs/gateway.md#sandbox-clock): every expiry is judged against core.now(),
  // which these move forward, so an ISV can test expiry paths in minutes. Never without --sandbox.
  let offsetMs = 0;
  const clockAnswer = () => ({ now: new Date(ctx.core.now()).toISOString(), offset_seconds: Math.round(offsetMs / 1000) });
  app.get('/sandbox/clock', { config: { kind: 'api' } }, async () => clockAnswer());
  app.post('/sandbox/clock', { config: { kind: 'api' } }, async (request) => {
    const body = request.body as { advance_seconds?: unknown } | undefined;
    const n = body && typeof body === 'object' ? body.advance_seconds : undefined;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CLOCK_ADVANCE_SECONDS) {
      throw new InvalidRequestError(`send {"advance_seconds": N} as JSON, N a whole number of seconds from 1 to ${MAX_CLOCK_ADVANCE_SECONDS}`);
    }
    if (!ctx.core.advanceClock) throw new InvalidRequestError('this server\'s clock cannot be moved');
    ctx.core.advanceClock(n * 1000);
    offsetMs += n * 1000;
    request.log.warn({ advanceSeconds: n, offsetSeconds: Math.round(offsetMs / 1000) }, 'sandbox clock moved forward');
    return clockAnswer();
  });
  app.get('/sandbox/callback', { config: { kind: 'page' } }, async (request, reply) => {
    // Read at request time: with `--port 0` the issuer is only known once the server listens.
    const issuer = ctx.core.issuer;
    const q = queryParams(request);
    const get = (n: string) => q.get(n)?.[0];
    const code = get('code');
    const callback = `${issuer}/sandbox/callback`;
    const [idName, secretName] = [profile.params.clientId[0], profile.params.clientSecret[0]];
    const curl = code
      ? `curl -s -X POST ${issuer}${profile.paths.token} \\\n  -d grant_type=authorization_code \\\n  -d code=${code} \\\n  -d redirect_uri=${encodeURIComponent(callback)} \\\n  -d ${idName}=${SANDBOX_APP_KEY} -d ${secretName}=APP_SECRET`
      : '';
    const body = html`<p class="brand"><span class="mark" aria-hidden="true">授</span>Sandbox callback</p>
<h1>${code ? 'Authorization code received' : get('error') ? `Authorization ended: ${get('error')}` : 'Authorization finished'}</h1>
<p class="sub">This page stands in for the ISV's callback URL. These parameters arrived:</p>
<ul class="perms">${[...q].map(([k, v]) => html`<li><code>${k}</code> = <code>${v.join(', ')}</code></li>`)}</ul>
${!code && !get('error') ? html`<p>No query parameters arrived. In the client-side flow (<code>response_type=token</code>) the access token travels in the URL fragment (after <code>#</code>), which browsers never send to a server: look at this page's address bar.</p>` : ''}
${code ? html`<p>Swap the code for tokens within ${Math.round(ctx.core.lifetimes.code / 60)} minutes (it works once), with the app_secret that <code>shouquan serve --sandbox</code> printed (for the demo app ${SANDBOX_APP_KEY}):</p><pre><code>${curl}</code></pre>` : ''}`;
    return sendPage(reply, 200, layout({ lang: requestLang(ctx, request), title: 'Sandbox callback', body }));
  });
}
