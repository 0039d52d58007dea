import type { FastifyInstance } from 'fastify';
import { HEAD_SAFE } from '../methods.js';
import { html, layout, raw } from '../pages/html.js';
import { buildOpenApi, type RouteInfo } from '../openapi/openapi.js';
import { requestLang, sendPage, type HttpContext } from '../http-context.js';
import { operationsZh, TAGS_ZH, translateOperation, type OperationZh } from '../openapi/docs-zh.js';

/** What `/docs` reads of one OpenAPI operation (src/server/openapi/openapi.ts builds them). */
interface DocOperation {
  tags: string[];
  summary: string;
  description?: string;
  parameters?: Array<{
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema?: { enum?: string[] };
  }>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, { description: string }>;
}

/** A Latin name between Chinese words gets a space either side. */
const spaced = (name: string) => (/^[\x20-\x7e]+$/.test(name) ? ` ${name} ` : name);

/**
 * The API reference: `/openapi.json` (OpenAPI 3.1, built from the registered routes and the
 * active profile) and `/docs`, the same document as a page (no scripts, no third parties).
 */
export async function docsRoutes(app: FastifyInstance, ctx: HttpContext, routes: RouteInfo[]): Promise<void> {
  let cached: Record<string, unknown> | undefined;
  const document = () => (cached ??= buildOpenApi(ctx, routes).document);
  let zhCached: Map<string, OperationZh> | undefined;
  const zhTable = () => (zhCached ??= operationsZh(ctx));

  app.get('/openapi.json', { ...HEAD_SAFE, config: { kind: 'plain' } }, async () => document());

  app.get('/docs', { ...HEAD_SAFE, config: { kind: 'plain' } }, async (request, reply) => {
    const lang = requestLang(ctx, request);
    const w =
      lang === 'en'
        ? {
            parameter: 'parameter',
            in: 'in',
            required: 'required',
            meaning: 'meaning',
            yes: 'yes',
            body: 'Body',
            or: ' or ',
            answers: 'Answers',
            machine: 'Machine-readable:',
            title: 'API reference',
            summaries: '',
            other: '中文',
            otherLang: 'zh-CN',
          }
        : {
            parameter: '参数',
            in: '位置',
            required: '必填',
            meaning: '含义',
            yes: '是',
            body: '请求体',
            or: ' 或 ',
            answers: '响应',
            machine: '机器可读版本：',
            title: 'API 参考',
            summaries: `面向电商开放平台的 OAuth 2.0 授权服务器，采用${spaced(ctx.core.profile.title)}的接口约定；授权服务器元数据见 /.well-known/oauth-authorization-server。`,
            other: 'English',
            otherLang: 'en',
          };
    const doc = document() as {
      info: { title: string; description: string };
      paths: Record<string, Record<string, DocOperation>>;
      tags: Array<{ name: string }>;
    };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => {
        const upper = method.toUpperCase();
        if (lang === 'en') return { path, method: upper, op };
        // The Chinese page: the table in src/server/openapi/docs-zh.ts (test/docs-zh.test.ts keeps it complete).
        const t = translateOperation(zhTable(), `${upper} ${path}`, op);
        const translated: DocOperation = {
          ...op,
          summary: t.summary,
          ...(t.description !== undefined ? { description: t.description } : {}),
          ...(op.parameters
            ? { parameters: op.parameters.map((p) => ({ ...p, description: t.parameter(p.name, p.description) })) }
            : {}),
          responses: Object.fromEntries(
            Object.entries(op.responses).map(([status, r]) => [status, { description: t.response(r.description) }]),
          ),
        };
        return { path, method: upper, op: translated };
      }),
    );
    const sections = doc.tags.map((tag) => {
      const inTag = ops.filter((o) => o.op.tags.includes(tag.name));
      if (inTag.length === 0) return '';
      return html`<h2>${lang === 'en' ? tag.name : (TAGS_ZH[tag.name] ?? tag.name)}</h2>
${inTag.map(
  (
    o,
  ) => html`<details class="op"><summary><code>${o.method}</code> <code>${o.path}</code><br><span>${o.op.summary}</span></summary>
${o.op.description ? html`<p class="desc">${o.op.description}</p>` : ''}
${
  (o.op.parameters ?? []).length > 0
    ? html`<table><thead><tr><th>${w.parameter}</th><th>${w.in}</th><th>${w.required}</th><th>${w.meaning}</th></tr></thead><tbody>${(
        o.op.parameters ?? []
      ).map(
        (p) =>
          html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? w.yes : ''}</td><td>${p.description ?? ''}${p.schema?.enum ? html` (${p.schema.enum.join(' | ')})` : ''}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${
  o.op.requestBody
    ? html`<p>${w.body} (${Object.keys(o.op.requestBody.content).join(w.or)}): ${Object.entries(Object.values(o.op.requestBody.content)[0]?.schema.properties ?? {}).map(([k]) => html`<code>${k}</code> `)}</p>`
    : ''
}
<p>${w.answers}: ${Object.entries(o.op.responses).map(([status, r]) => html`<code>${status}</code> ${r.description}; `)}</p>
</details>`,
)}`;
    });
    const body = html`<p class="brand"><span class="mark" aria-hidden="true">授</span>${ctx.core.profile.title}</p>
<h1>${lang === 'en' ? doc.info.title : `${w.title} · ${ctx.core.profile.title}`}</h1>
<p class="sub">${lang === 'en' ? doc.info.description : w.summaries} ${w.machine} <a href="/openapi.json">/openapi.json</a>${lang === 'en' ? '.' : '。'}</p>
<p class="foot"><span></span><a href="/docs?lang=${w.otherLang}">${w.other}</a></p>
${raw(sections.map((s) => (typeof s === 'string' ? s : s.html)).join('\n'))}`;
    return sendPage(
      reply,
      200,
      layout({ lang, title: `${w.title} · ${ctx.core.profile.title}`, body, variant: 'docs' }),
    );
  });
}
