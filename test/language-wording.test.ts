// Issue 14 §3, language and wording: no English message on a Chinese page (the callback
// validation error), /docs and the sandbox callback page in both languages, times in one zone in
// both languages, the operator's seller lookup worded for an operator.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient, authorizeThroughForms, postForm } from './helpers/browserless.js';
import { page, signIn, submit } from './helpers/console.js';
import { createWebAccount } from '../src/console/accounts.js';

describe('language and wording', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());

  it('a bad callback URL is explained in Chinese on a Chinese page (new app and callback edit), in English on an English one', async () => {
    await createWebAccount(s.core.storage, {
      realm: 'developer',
      username: 'lang-dev',
      password: 'developer password',
    });
    const dev = new FormClient(s.url);
    await signIn(dev, 'console', 'lang-dev', 'developer password');
    const zh = await submit(dev, '/console/apps/new?lang=zh-CN', '/console/apps', {
      name: '回调测试',
      callback_urls: 'https://cb.example.com/a#frag',
      scope: 'seller',
    });
    assert.equal(zh.status, 400);
    assert.match(zh.html, /https:\/\/cb\.example\.com\/a#frag 不能包含 # 及其后的部分（RFC 6749 §3\.1\.2）。/);
    assert.doesNotMatch(zh.html, /may not contain|is not an absolute URL|must use http/);
    const relative = await submit(dev, '/console/apps/new?lang=zh-CN', '/console/apps', {
      name: '回调测试',
      callback_urls: '/cb',
      scope: 'seller',
    });
    assert.match(relative.html, /\/cb 不是完整的网址（应以 https:\/\/ 开头）。/);
    const en = await submit(dev, '/console/apps/new?lang=en', '/console/apps', {
      name: 'Callback test',
      callback_urls: 'ftp://cb.example.com/a',
      scope: 'seller',
    });
    assert.match(en.html, /ftp:\/\/cb\.example\.com\/a must start with https:\/\/ or http:\/\/\./);

    const created = await submit(dev, '/console/apps/new?lang=zh-CN', '/console/apps', {
      name: '回调测试',
      callback_urls: 'https://cb.example.com/a',
      scope: 'seller',
    });
    const appKey = /<code>(\d{8})<\/code>/.exec(created.html)![1]!;
    const edit = await submit(dev, `/console/apps/${appKey}?lang=zh-CN`, `/console/apps/${appKey}/callbacks`, {
      callback_urls: 'https://u:p@cb.example.com/a',
    });
    assert.equal(edit.status, 400);
    assert.match(edit.html, /https:\/\/u:p@cb\.example\.com\/a 不能包含用户名或密码。/);
  });

  it('/docs in both languages, with a switch', async () => {
    const zh = await (await fetch(`${s.url}/docs?lang=zh-CN`)).text();
    assert.match(zh, /<html lang="zh-CN">/);
    assert.match(zh, /<h1>API 参考 · /);
    assert.match(zh, /<th>参数<\/th><th>位置<\/th><th>必填<\/th><th>含义<\/th>/);
    assert.match(zh, /<p>响应: /);
    assert.doesNotMatch(zh, /<th>parameter<\/th>|<p>Answers: |Machine-readable/);
    assert.match(zh, /<a href="\/docs\?lang=en">English<\/a>/);
    const en = await (await fetch(`${s.url}/docs?lang=en`)).text();
    assert.match(en, /<th>parameter<\/th><th>in<\/th><th>required<\/th><th>meaning<\/th>/);
    assert.match(en, /Machine-readable: <a href="\/openapi.json">/);
  });

  it('the sandbox callback page in both languages (Accept-Language, or its own switch)', async () => {
    const zh = await (
      await fetch(`${s.url}/sandbox/callback?code=abc&state=xyz`, { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } })
    ).text();
    assert.match(zh, /<h1>已收到授权码<\/h1>/);
    assert.match(zh, /此页面代替 ISV 的回调地址，收到了以下参数：/);
    assert.match(zh, /分钟内用授权码换取令牌（只能使用一次）/);
    assert.doesNotMatch(zh, /Authorization code received|stands in/);
    assert.match(zh, /<a href="\/sandbox\/callback\?code=abc&amp;state=xyz&amp;lang=en">English<\/a>/);
    const en = await (
      await fetch(`${s.url}/sandbox/callback?code=abc&state=xyz&lang=en`, { headers: { 'accept-language': 'zh-CN' } })
    ).text();
    assert.match(en, /<h1>Authorization code received<\/h1>/);
    assert.doesNotMatch(en, /<li><code>lang<\/code>/, 'the switch is not one of the parameters that arrived');
    const denied = await (await fetch(`${s.url}/sandbox/callback?error=access_denied&lang=zh-CN`)).text();
    assert.match(denied, /<h1>授权已结束：access_denied<\/h1>/);
  });

  it('times read the same in both languages (UTC+8, labelled)', async () => {
    const { location } = await authorizeThroughForms(
      s.url,
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: s.client.appKey, redirect_uri: s.client.callback })}`,
      { username: s.seller.username, password: s.seller.password },
    );
    const code = new URL(location).searchParams.get('code')!;
    assert.equal(
      (
        await postForm(`${s.url}/oauth/token`, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: s.client.callback,
          client_id: s.client.appKey,
          client_secret: s.client.appSecret,
        })
      ).status,
      200,
    );
    const seller = new FormClient(s.url);
    await signIn(seller, 'account', s.seller.username, s.seller.password);
    const when = (html: string) => /<dd>(\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+8\))<\/dd>/.exec(html)?.[1];
    const en = when((await page(seller, '/account?lang=en')).html);
    const zh = when((await page(seller, '/account?lang=zh-CN')).html);
    assert.ok(en);
    assert.equal(en, zh);
  });

  it("the operator's seller lookup is worded for an operator", async () => {
    await createWebAccount(s.core.storage, { realm: 'operator', username: 'lang-ops', password: 'operator password' });
    const op = new FormClient(s.url);
    await signIn(op, 'admin', 'lang-ops', 'operator password');
    const found = await page(op, `/admin?lang=en&seller=${s.seller.username}`);
    assert.match(found.html, /<h2>Find a seller<\/h2>/);
    assert.match(found.html, /<h3>Apps holding an authorization from this seller<\/h3>/);
    assert.match(
      found.html,
      new RegExp(`<a href="/admin/sellers/${s.seller.sellerId}">Open the seller&#39;s page</a>`),
    );
    await s.core.storage.sellers.findByUsername(s.seller.username);
    const other = await page(op, '/admin?lang=zh-CN&seller=nobody-at-all');
    assert.match(other.html, /没有这个卖家账号。/);
    assert.doesNotMatch(found.html, /You have not authorized/);
  });
});
