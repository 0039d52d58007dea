// Issue 14 §1: seller password reset for built-in accounts: an operator issues a one-time link
// (CLI, /admin; the management API calls the same src/sellers/password-reset.ts), the seller sets
// a new password on the page it opens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './helpers/server.js';
import { FormClient } from './helpers/browserless.js';
import { testDialects } from './helpers/databases.js';
import { csrfOf, page, signIn, submit } from './helpers/console.js';
import { main } from '../src/cli/main.js';
import { createWebAccount } from '../src/console/accounts.js';
import { sha256 } from '../src/crypto/tokens.js';
import { issueSellerPasswordReset, PasswordResetRefused } from '../src/sellers/password-reset.js';

const dialects = await testDialects();

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { log: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

for (const dialect of dialects) {
  describe(`seller password reset (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ db: await dialect.fresh() });
    });
    after(async () => s?.close());

    const issue = async () => {
      const r = await cli(
        'seller',
        'reset-password',
        '--database',
        s.db.url,
        '--seller-id',
        String(s.seller.sellerId),
        '--issuer',
        s.url,
        '--json',
      );
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out) as { seller_id: number; username: string; reset_url: string; expires_at: string };
    };
    const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
    const signInWorks = async (password: string) =>
      (
        await submit(new FormClient(s.url), '/account/login', '/account/login', {
          username: s.seller.username,
          password,
        })
      ).status === 303;

    it('the CLI prints a one-time link; only its SHA-256 is stored', async () => {
      const issued = await issue();
      assert.deepEqual(Object.keys(issued), ['seller_id', 'username', 'reset_url', 'expires_at']);
      assert.equal(issued.seller_id, s.seller.sellerId);
      assert.equal(issued.username, s.seller.username);
      assert.match(issued.reset_url, new RegExp(`^${s.url}/account/reset-password\\?token=[A-Za-z0-9_-]{43}$`));
      const hours = (Date.parse(issued.expires_at) - Date.now()) / 3_600_000;
      assert.ok(hours > 23.9 && hours <= 24, `expires in 24 hours (${hours})`);
      const token = tokenOf(issued.reset_url);
      assert.ok(await s.core.storage.sellers.findPasswordReset(sha256(token), s.core.now()));
      assert.equal(
        await s.core.storage.sellers.findPasswordReset(token, s.core.now()),
        undefined,
        'the token itself is not a key',
      );
    });

    it('the seller sets a new password: a short one is refused (the link still works), then it is set, every session ends, the link is used up', async () => {
      const seller = new FormClient(s.url);
      await signIn(seller, 'account', s.seller.username, s.seller.password);
      const link = (await issue()).reset_url;
      const path = link.slice(s.url.length);
      const form = await page(seller, `${path}&lang=en`);
      assert.equal(form.status, 200);
      assert.match(form.html, /Set a new password/);
      assert.match(form.html, /name="new_password"/);
      const token = tokenOf(link);
      const short = await seller.post('/account/reset-password', {
        csrf_token: csrfOf(form.html),
        token,
        new_password: 'short',
      });
      assert.equal(short.status, 400);
      assert.match(await short.text(), /at least 8 characters/);
      const done = await seller.post('/account/reset-password', {
        csrf_token: csrfOf(form.html),
        token,
        new_password: 'brand new password',
      });
      assert.equal(done.status, 303);
      assert.equal(done.headers.get('location'), '/account/login?done=password-reset');
      assert.match(
        (await page(new FormClient(s.url), '/account/login?done=password-reset&lang=en')).html,
        /Your password is set\./,
      );
      assert.equal((await page(seller, '/account')).status, 303, 'the session from before the reset has ended');
      assert.equal(await signInWorks(s.seller.password), false);
      assert.equal(await signInWorks('brand new password'), true);
      s.seller.password = 'brand new password';
      const again = await page(new FormClient(s.url), `${path}&lang=en`);
      assert.equal(again.status, 400);
      assert.match(again.html, /invalid, already used or expired/);
      const replay = await seller.post('/account/reset-password', {
        csrf_token: csrfOf(form.html),
        token,
        new_password: 'another password 2',
      });
      assert.equal(replay.status, 400);
      assert.equal(await signInWorks('another password 2'), false);
    });

    it('exactly one of two concurrent uses of a link wins', async () => {
      const link = (await issue()).reset_url;
      const token = tokenOf(link);
      const c = new FormClient(s.url);
      const form = await page(c, link.slice(s.url.length));
      const [a, b] = await Promise.all([
        c.post('/account/reset-password', { csrf_token: csrfOf(form.html), token, new_password: 'concurrent one 1' }),
        c.post('/account/reset-password', { csrf_token: csrfOf(form.html), token, new_password: 'concurrent two 2' }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [303, 400]);
      const winner = a.status === 303 ? 'concurrent one 1' : 'concurrent two 2';
      assert.equal(await signInWorks(winner), true);
      s.seller.password = winner;
    });

    it('a link expires, and a newer link ends the older one', async () => {
      const first = (await issue()).reset_url;
      const second = (await issue()).reset_url;
      assert.equal(
        (await page(new FormClient(s.url), first.slice(s.url.length))).status,
        400,
        'the older link no longer works',
      );
      assert.equal((await page(new FormClient(s.url), second.slice(s.url.length))).status, 200);
      s.advance(24 * 3_600_000 + 1000);
      assert.equal(
        (await page(new FormClient(s.url), second.slice(s.url.length))).status,
        400,
        'expired after 24 hours',
      );
    });

    it("the CLI refuses unknown sellers, sellers of the platform's account system and bad flags", async () => {
      const unknown = await cli('seller', 'reset-password', '--database', s.db.url, '--seller-id', '999999', '--json');
      assert.equal(unknown.code, 1);
      assert.match(unknown.err, /no seller with seller_id 999999/);
      const { seller } = await s.core.storage.sellers.upsertExternal(
        {
          source: 'directory',
          externalId: 'P-1',
          nick: 'Dir Seller',
          stores: [{ externalId: 'S-1', name: 'Dir Store' }],
        },
        s.core.now(),
      );
      const external = await cli(
        'seller',
        'reset-password',
        '--database',
        s.db.url,
        '--seller-id',
        String(seller.sellerId),
      );
      assert.equal(external.code, 1);
      assert.match(external.err, /platform's account system/);
      await assert.rejects(
        issueSellerPasswordReset(s.core.storage, { sellerId: seller.sellerId, baseUrl: s.url, actor: 'test' }),
        (e: unknown) => e instanceof PasswordResetRefused && e.code === 'password_kept_by_platform',
      );
      assert.equal((await cli('seller', 'reset-password', '--database', s.db.url)).code, 2);
      assert.equal((await cli('seller', 'reset-password', '--database', s.db.url, '--seller-id', 'abc')).code, 2);
      assert.equal(
        (await cli('seller', 'reset-password', '--database', s.db.url, '--seller-id', '1', '--ttl-hours', '0')).code,
        2,
      );
      const help = await cli('seller', 'reset-password', '--help');
      assert.equal(help.code, 0);
      assert.match(help.out, /--seller-id S/);
    });

    it('/admin: an operator issues a link from the seller lookup; it is audited', async () => {
      await createWebAccount(s.core.storage, {
        realm: 'operator',
        username: 'ops-reset',
        password: 'operator password 1',
      });
      const op = new FormClient(s.url);
      await signIn(op, 'admin', 'ops-reset', 'operator password 1', { now: () => s.core.now() });
      const lookup = await page(op, `/admin?seller=${s.seller.username}&lang=en`);
      const action = `/admin/sellers/${s.seller.sellerId}/password-reset`;
      assert.match(lookup.html, new RegExp(`action="${action}"`));
      assert.match(lookup.html, /Issue a password reset link/);
      const res = await op.post(action, { csrf_token: csrfOf(lookup.html) });
      assert.equal(res.status, 201);
      const html = await res.text();
      const link = /id="reset_url" readonly value="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
      assert.ok(link?.startsWith(`${s.url}/account/reset-password?token=`), html);
      assert.equal((await page(new FormClient(s.url), link!.slice(s.url.length))).status, 200);
      const entries = await s.core.storage.audit!.list({ limit: 1000 });
      const issued = entries.filter((e) => e.event === 'seller.password_reset_issued');
      assert.ok(issued.some((e) => e.actor === 'operator:ops-reset' && e.sellerId === s.seller.sellerId));
      assert.ok(issued.some((e) => e.actor === 'cli'));
      assert.ok(!JSON.stringify(entries).includes(tokenOf(link!)), 'the audit log never holds the token');
      // A directory seller has no button, and a forged post is refused.
      const dirSeller = await s.core.storage.sellers.findByUsername('directory:P-1');
      const none = await page(op, '/admin?seller=directory:P-1&lang=en');
      assert.doesNotMatch(none.html, /Issue a password reset link/);
      const forged = await op.post(`/admin/sellers/${dirSeller!.sellerId}/password-reset?lang=en`, {
        csrf_token: csrfOf(lookup.html),
      });
      assert.equal(forged.status, 409);
      const signedOut = await new FormClient(s.url).post(action, { csrf_token: 'x' });
      assert.equal(signedOut.status, 403, 'no CSRF token, no operator: refused');
    });
  });
}
