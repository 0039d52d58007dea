// Issue 14 §3: /docs in both languages. Every operation in /openapi.json, for every built-in profile and with the
// optional routes registered, has a Chinese summary (and description, parameter and answer wording) in
// src/server/openapi/docs-zh.ts, so a new endpoint cannot ship an English-only line on the Chinese page.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { builtinProfiles } from '../src/profiles/registry.js';
import { gatewayMethods } from '../src/gateway/methods/index.js';
import { operationsZh, TAGS_ZH, translateOperation } from '../src/server/openapi/docs-zh.js';
import type { HttpContext } from '../src/server/http-context.js';
import { startTestServer, type TestServer } from './helpers/server.js';

type Doc = {
  paths: Record<string, Record<string, Parameters<typeof translateOperation>[2] & { tags: string[] }>>;
  tags: Array<{ name: string }>;
};

/** Every operation of the document that lacks Chinese words. */
function untranslated(ctx: Pick<HttpContext, 'core'>, doc: Doc): string[] {
  const zh = operationsZh(ctx as HttpContext);
  const missing: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(methods)) {
      missing.push(...translateOperation(zh, `${method.toUpperCase()} ${path}`, op).missing);
      for (const tag of op.tags) if (!TAGS_ZH[tag]) missing.push(`tag ${tag}`);
    }
  return missing;
}

for (const name of Object.keys(builtinProfiles)) {
  describe(`/docs in Chinese (${name} profile)`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ profile: name });
    });
    after(async () => s?.close());

    it('has Chinese words for every operation in /openapi.json', async () => {
      const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as Doc;
      assert.ok(Object.keys(doc.paths).length > 50);
      assert.deepEqual(untranslated(s, doc), []);
    });
  });
}

describe('/docs?lang=zh-CN', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());

  it('a new operation without a Chinese summary is caught', () => {
    const zh = operationsZh(s as unknown as HttpContext);
    const op = { summary: 'A new thing', description: 'Does it', responses: { 200: { description: 'done' } } };
    assert.deepEqual(translateOperation(zh, 'GET /api/v1/new-thing', op).missing, [
      'GET /api/v1/new-thing: summary',
      'GET /api/v1/new-thing: description',
    ]);
    const withNewAnswer = { summary: 'Show an app', responses: { 418: { description: 'a teapot' } } };
    assert.deepEqual(translateOperation(zh, 'GET /admin/api/v1/apps/{app_key}', withNewAnswer).missing, [
      'GET /admin/api/v1/apps/{app_key}: response 418 “a teapot”',
    ]);
  });

  it('every gateway method has a Chinese summary', () => {
    assert.deepEqual(
      gatewayMethods.filter((m) => !m.summaryZh).map((m) => m.name),
      [],
    );
  });

  it('shows the summaries, descriptions, parameters, answers and headings in Chinese; the English page is unchanged', async () => {
    const zh = await (await fetch(`${s.url}/docs`, { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } })).text();
    assert.match(zh, /<html lang="zh-CN">/);
    assert.doesNotMatch(zh, /为英文|not translated/);
    assert.match(zh, /<h2>卖家授权页面<\/h2>/);
    assert.match(zh, /<h2>管理 API：应用<\/h2>/);
    assert.match(
      zh,
      /<code>POST<\/code> <code>\/oauth\/token<\/code><br><span>令牌端点（RFC 6749 §3\.2）：authorization_code 与 refresh_token 授权类型<\/span>/,
    );
    assert.match(zh, /<span>撤销令牌（RFC 7009）；撤销刷新令牌会结束整个授权<\/span>/);
    assert.match(
      zh,
      /<span>店铺的订单，按创建时间倒序，提供订单工具所需的筛选条件（`shouquan\.orders\.list`）<\/span>/,
    );
    assert.match(zh, /<span>修改应用：名称、回调地址、状态/);
    assert.match(zh, /<p class="desc">只修改传入的字段。/);
    assert.match(
      zh,
      /<td><code>redirect_uri<\/code><\/td><td>query<\/td><td><\/td><td>回调地址，按本平台规则匹配<\/td>/,
    );
    assert.match(zh, /<code>401<\/code> 没有有效的运营 API 令牌; /);
    assert.match(zh, /- `shouquan\.orders\.ship`（orders\.write）：为已付款订单登记发货/);
    assert.doesNotMatch(zh, /Token endpoint|Show an app|CSRF check failed|no such app/);

    const en = await (await fetch(`${s.url}/docs?lang=en`, { headers: { 'accept-language': 'zh-CN' } })).text();
    assert.match(en, /<h2>OAuth 2\.0<\/h2>/);
    assert.match(en, /<span>Token endpoint \(RFC 6749 §3\.2\): authorization_code and refresh_token grants<\/span>/);
    assert.match(en, /<code>401<\/code> no valid operator API token; /);
    assert.doesNotMatch(en, /令牌端点/);
  });
});
