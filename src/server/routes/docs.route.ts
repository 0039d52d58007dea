import type { FastifyInstance } from 'fastify';
import { HEAD_SAFE } from '../methods.js';
import { html, layout, raw } from '../pages/html.js';
import { buildOpenApi, type RouteInfo } from '../openapi/openapi.js';
import { requestLang, sendPage, type HttpContext } from '../http-context.js';

/** What `/docs` reads of one OpenAPI operation (src/server/openapi/openapi.ts builds them). */
interface DocOperation {
  tags: string[];
  summary: string;
  description?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: { enum?: string[] } }>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, { description: string }>;
}

/**
 * The API reference: `/openapi.json` (OpenAPI 3.1, built from the registered routes and the
 * active profile) and `/docs`, the same document as a page (no scripts, no third parties).
 */
export async function docsRoutes(app: FastifyInstance, ctx: HttpContext, routes: RouteInfo[]): Promise<void> {
  let cached: Record<string, unknown> | undefined;
  const document = () => (cached ??= buildOpenApi(ctx, routes).document);

  app.get('/openapi.json', { ...HEAD_SAFE, config: { kind: 'plain' } }, async () => document());

  app.get('/docs', { ...HEAD_SAFE, config: { kind: 'plain' } }, async (request, reply) => {
    const doc = document() as { info: { title: string; description: string }; paths: Record<string, Record<string, DocOperation>>; tags: Array<{ name: string }> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
    const sections = doc.tags.map((tag) => {
      const inTag = ops.filter((o) => o.op.tags.includes(tag.name));
      if (inTag.length === 0) return '';
      return html`<h2>${tag.name}</h2>
${inTag.map(
  (o) => html`<details class="op"><summary><code>${o.method}</code> <code>${o.path}</code><br><span>${o.op.summary}</span></summary>
${o.op.description ? html`<p class="desc">${o.op.description}</p>` : ''}
${
  (o.op.parameters ?? []).length > 0
    ? html`<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>meaning</th></tr></thead><tbody>${(o.op.parameters ?? []).map(
        (p) => html`<tr><td><code>${p.name}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td><td>${p.description ?? ''}${p.schema?.enum ? html` (${p.schema.enum.join(' | ')})` : ''}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${
  o.op.requestBody
    ? html`<p>Body (${Object.keys(o.op.requestBody.content).join(' or ')}): ${Object.entries(Object.values(o.op.requestBody.content)[0]?.schema.properties ?? {}).map(([k]) => html`<code>${k}</code> `)}</p>`
    : ''
}
<p>Answers: ${Object.entries(o.op.responses).map(([status, r]) => html`<code>${status}</code> ${r.description}; `)}</p>
</details>`,
)}`;
    });
    const body = html`<p class="brand"><span class="mark" aria-hidden="true">授</span>${ctx.core.profile.title}</p>
<h1>${doc.info.title}</h1>
<p class="sub">${doc.info.description} Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
${raw(sections.map((s) => (typeof s === 'string' ? s : s.html)).join('\n'))}`;
    return sendPage(reply, 200, layout({ lang: requestLang(ctx, request), title: `API reference · ${ctx.core.profile.title}`, body, variant: 'docs' }));
  });
}
