import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient, formAction, hiddenInput } from './helpers/browserless.js';
import { createSeller } from '../src/admin.js';
import { createApp } from '../src/apps/apps.js';
import { updateApp } from '../src/apps/apps.js';

describe('authorize pages: logo, store search, remember me', () => {
  let s: TestServer;
  let appKey = '';
  before(async () => {
    s = await startTestServer();
    const created = await createApp(s.core.storage, s.core.secretKey, {
      name: 'Logo App',
      callbacks: [s.client.callback],
    });
    appKey = created.appKey;
    await updateApp(s.core.storage, appKey, { logoUrl: 'https://cdn.example.com/logo.png' }, s.core.now());
    await createSeller(s.core.storage, {
      username: 'big-seller',
      password: 'big seller password',
      stores: Array.from({ length: 8 }, (_, i) => (i === 6 ? '茶叶 旗舰店' : `Branch ${i + 1}`)),
    });
  });
  after(async () => s?.close());

  async function start(client: FormClient) {
    const res = await client.get(
      `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: appKey, redirect_uri: s.client.callback, state: 's' })}`,
      { 'accept-language': 'en' },
    );
    return res.headers.get('location')!;
  }
  async function login(client: FormClient, interaction: string, username: string, password: string, remember: boolean) {
    const loginPage = await (await client.get(interaction, { 'accept-language': 'en' })).text();
    assert.match(
      loginPage,
      /<img class="logo" src="https:\/\/cdn\.example\.com\/logo\.png" alt="" width="44" height="44">/,
    );
    assert.match(
      loginPage,
      /<label class="remember"><input type="checkbox" id="remember" name="remember" value="1"> <span>Keep me signed in on this device for 30 days<\/span><\/label>/,
    );
    const res = await client.post(formAction(loginPage)!, {
      csrf_token: hiddenInput(loginPage, 'csrf_token')!,
      username,
      password,
      ...(remember ? { remember: '1' } : {}),
    });
    assert.equal(res.status, 303);
    return res.headers.getSetCookie().find((c) => c.startsWith('sq_session='))!;
  }

  it('remember me makes a 30-day session; otherwise the usual one', async () => {
    const a = new FormClient(s.url);
    assert.match(await login(a, await start(a), s.seller.username, s.seller.password, true), /Max-Age=2592000/);
    const b = new FormClient(s.url);
    assert.match(await login(b, await start(b), s.seller.username, s.seller.password, false), /Max-Age=43200/);
  });

  it('offers a store search to a seller with many stores and approves a found store', async () => {
    const c = new FormClient(s.url);
    const interaction = await start(c);
    await login(c, interaction, 'big-seller', 'big seller password', false);
    const all = await (await c.get(interaction, { 'accept-language': 'en' })).text();
    assert.match(all, /<form method="get" action="\/oauth\/interaction\/[^"]+" class="store-search" role="search">/);
    assert.equal((all.match(/name="store_id"/g) ?? []).length, 8);
    assert.match(all, /8 \/ 8 stores shown/);
    const found = await (
      await c.get(`${interaction}?q=${encodeURIComponent('茶叶')}`, { 'accept-language': 'en' })
    ).text();
    assert.equal((found.match(/name="store_id"/g) ?? []).length, 1);
    assert.match(found, /<span>茶叶 旗舰店<\/span>/);
    const none = await (await c.get(`${interaction}?q=nothing-like-this`, { 'accept-language': 'en' })).text();
    assert.match(none, /No store matches this search\./);
    const storeId = /name="store_id" value="(\d+)"/.exec(found)![1]!;
    const res = await c.post(formAction(found)!, {
      csrf_token: hiddenInput(found, 'csrf_token')!,
      store_id: storeId,
      decision: 'approve',
    });
    assert.equal(res.status, 303);
    assert.ok(new URL(res.headers.get('location')!).searchParams.get('code'));
  });

  it('shows no search for a seller with two stores', async () => {
    const c = new FormClient(s.url);
    const interaction = await start(c);
    await login(c, interaction, s.seller.username, s.seller.password, false);
    const page = await (await c.get(interaction)).text();
    assert.doesNotMatch(page, /store-search/);
  });
});
