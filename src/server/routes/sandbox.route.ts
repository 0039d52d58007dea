import type { FastifyInstance } from 'fastify';
import { html, layout } from '../pages/html.js';
import { queryParams, requestLang, sendPage, type HttpContext } from '../http-context.js';

/**
 * The sandbox app's own callback: shows what an ISV's server would receive, and the exact
 * request that swaps the code for tokens. Only served with `--sandbox`.
 */
export async function sandboxRoutes(app: FastifyInstance, ctx: HttpContext): Promise<void> {
  const { profile } = ctx.core;
  app.get('/sandbox/callback', { config: { kind: 'page' } }, async (request, reply) => {
    // Read at request time: with `--port 0` the issuer is only known once the server listens.
    const issuer = ctx.core.issuer;
    const q = queryParams(request);
    const get = (n: string) => q.get(n)?.[0];
    const code = get('code');
    const callback = `${issuer}/sandbox/callback`;
    const [idName, secretName] = [profile.params.clientId[0], profile.params.clientSecret[0]];
    const curl = code
      ? `curl -s -X POST ${issuer}${profile.paths.token} \\\n  -d grant_type=authorization_code \\\n  -d code=${code} \\\n  -d redirect_uri=${encodeURIComponent(callback)} \\\n  -d ${idName}=APP_KEY -d ${secretName}=APP_SECRET`
      : '';
    const body = html`<p class="brand"><span class="mark" aria-hidden="true">授</span>Sandbox callback</p>
<h1>${code ? 'Authorization code received' : `Authorization ended: ${get('error') ?? 'no code'}`}</h1>
<p class="sub">This page stands in for the ISV's callback URL. These parameters arrived:</p>
<ul class="perms">${[...q].map(([k, v]) => html`<li><code>${k}</code> = <code>${v.join(', ')}</code></li>`)}</ul>
${code ? html`<p>Swap the code for tokens within ${Math.round(ctx.core.lifetimes.code / 60)} minutes (it works once), with the app_key and app_secret that <code>shouquan serve --sandbox</code> printed:</p><pre><code>${curl}</code></pre>` : ''}`;
    return sendPage(reply, 200, layout({ lang: requestLang(ctx, request), title: 'Sandbox callback', body }));
  });
}
