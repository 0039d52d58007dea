import type { FastifyInstance } from 'fastify';
import { SANDBOX_APP_KEY } from '../../sandbox.js';
import { html, layout } from '../pages/html.js';
import { queryParams, requestLang, sendPage, type HttpContext } from '../http-context.js';
import { InvalidRequestError } from '../../core/errors.js';
import type { Lang } from '../pages/i18n.js';

/** The sandbox callback page's words (issue 14 §3: in both languages). */
function sandboxWords(lang: Lang) {
  return lang === 'en'
    ? {
        brand: 'Sandbox callback',
        codeReceived: 'Authorization code received',
        ended: 'Authorization ended: ',
        finished: 'Authorization finished',
        standsIn: "This page stands in for the ISV's callback URL. These parameters arrived:",
        noParams1: 'No query parameters arrived. In the client-side flow (',
        noParams2: ') the access token travels in the URL fragment (after ',
        noParams3: "), which browsers never send to a server: look at this page's address bar.",
        swap1: 'Swap the code for tokens within ',
        swap2: ' minutes (it works once), with the app_secret that ',
        swap3: ' printed (for the demo app ',
        swap4: '):',
        switchLang: '中文',
      }
    : {
        brand: '沙箱回调',
        codeReceived: '已收到授权码',
        ended: '授权已结束：',
        finished: '授权已完成',
        standsIn: '此页面代替 ISV 的回调地址，收到了以下参数：',
        noParams1: '没有收到查询参数。在客户端授权流程（',
        noParams2: '）中，访问令牌在网址的片段里（',
        noParams3: ' 之后），浏览器从不把它发给服务器：请查看本页的地址栏。',
        swap1: '请在 ',
        swap2: ' 分钟内用授权码换取令牌（只能使用一次），使用 ',
        swap3: ' 打印的 app_secret（演示应用 ',
        swap4: '）：',
        switchLang: 'English',
      };
}

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
  const clockAnswer = () => ({
    now: new Date(ctx.core.now()).toISOString(),
    offset_seconds: Math.round(offsetMs / 1000),
  });
  app.get('/sandbox/clock', { config: { kind: 'api' } }, async () => clockAnswer());
  app.post('/sandbox/clock', { config: { kind: 'api' } }, async (request) => {
    const body = request.body as { advance_seconds?: unknown } | undefined;
    const n = body && typeof body === 'object' ? body.advance_seconds : undefined;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CLOCK_ADVANCE_SECONDS) {
      throw new InvalidRequestError(
        `send {"advance_seconds": N} as JSON, N a whole number of seconds from 1 to ${MAX_CLOCK_ADVANCE_SECONDS}`,
      );
    }
    if (!ctx.core.advanceClock) throw new InvalidRequestError("this server's clock cannot be moved");
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
    const lang = requestLang(ctx, request);
    const w = sandboxWords(lang);
    const minutes = Math.round(ctx.core.lifetimes.code / 60);
    // `lang` is this page's own switch, not something the authorization server sent.
    const shown = [...q].filter(([k]) => k !== 'lang');
    const other = new URLSearchParams(shown.flatMap(([k, v]) => v.map((x): [string, string] => [k, x])));
    other.set('lang', lang === 'en' ? 'zh-CN' : 'en');
    const body = html`<p class="brand"><span class="mark" aria-hidden="true">授</span>${w.brand}</p>
<h1>${code ? w.codeReceived : get('error') ? `${w.ended}${get('error')}` : w.finished}</h1>
<p class="sub">${w.standsIn}</p>
<ul class="perms">${shown.map(([k, v]) => html`<li><code>${k}</code> = <code>${v.join(', ')}</code></li>`)}</ul>
${!code && !get('error') ? html`<p>${w.noParams1}<code>response_type=token</code>${w.noParams2}<code>#</code>${w.noParams3}</p>` : ''}
${code ? html`<p>${w.swap1}${String(minutes)}${w.swap2}<code>shouquan serve --sandbox</code>${w.swap3}${SANDBOX_APP_KEY}${w.swap4}</p><pre><code>${curl}</code></pre>` : ''}
<p class="foot"><span></span><a href="/sandbox/callback?${other.toString()}">${w.switchLang}</a></p>`;
    return sendPage(reply, 200, layout({ lang, title: w.brand, body }));
  });
}
