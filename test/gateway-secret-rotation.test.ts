// Signed /router/rest calls honour an AppSecret rotation's overlap window (docs/adr/0060):
// both secrets sign inside it, only the new one after it, after "revoke previous now", or
// after a rotation with overlap 0.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliEntry } from './helpers/processes.js';
import { endPreviousSecret } from '../src/apps/apps.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { testDialects } from './helpers/databases.js';
import { sellerTokens, topCall } from './helpers/gateway.js';

for (const dialect of await testDialects()) {
  describe(`signed calls across a secret rotation (${dialect.name})`, { skip: dialect.skip }, () => {
    let s: TestServer;
    let token = '';
    before(async () => {
      // The seller's token outlives the windows the clock is moved across.
      s = await startTestServer({
        db: await dialect.fresh(),
        gateway: { webhookPollMs: 0 },
        lifetimes: { access: 30 * 86400 },
      });
      token = (await sellerTokens(s, s.seller.stores[0]!.storeId)).access_token;
    });
    after(async () => s?.close());

    /** `shouquan app rotate-secret` against the server's database; returns the new secret. */
    const rotate = async (hours: number) => {
      // A process of its own, as an operator runs it: in this process, better-sqlite3's synchronous
      // busy wait would block the server's own open group-commit transaction until the timeout.
      const args = [
        'app',
        'rotate-secret',
        '--app-key',
        s.client.appKey,
        '--overlap-hours',
        String(hours),
        '--database',
        s.db.url,
        '--json',
      ];
      const { stdout } = await promisify(execFile)(process.execPath, [...(await cliEntry()), ...args]);
      const secret = JSON.parse(stdout).app_secret as string;
      // The CLI is another process as far as the server is concerned: the server's app cache
      // (docs/adr/0051) shows the change within 1 s. Wait for it, and prove the bound holds.
      const started = Date.now();
      while ((await signedWith(secret)) !== 'ok') {
        assert.ok(Date.now() - started < 3000, 'the running server saw the rotation within the cache TTL (1 s)');
        await new Promise((r) => setTimeout(r, 50));
      }
      return secret;
    };
    /** The outcome of a signed store.get: 'ok', or the error's sub_code. */
    const signedWith = async (secret: string, signMethod: 'md5' | 'hmac' | 'hmac-sha256' = 'md5') => {
      const res = await topCall(s, 'shouquan.store.get', {}, token, { secret, signMethod });
      if (res.json.shouquan_store_get_response) return 'ok';
      return res.json.error_response?.sub_code as string;
    };

    it('accepts the old and the new secret inside the window, with every sign method', async () => {
      const old = s.client.appSecret;
      assert.equal(await signedWith(old), 'ok');
      const fresh = await rotate(24);
      assert.notEqual(fresh, old);
      for (const m of ['md5', 'hmac', 'hmac-sha256'] as const) {
        assert.equal(await signedWith(fresh, m), 'ok', `new secret, ${m}`);
        assert.equal(await signedWith(old, m), 'ok', `old secret inside the window, ${m}`);
      }
      assert.equal(await signedWith('0'.repeat(32)), 'isv.invalid-signature', 'any other secret is still refused');

      // After the window (the server's clock moves on) only the new secret signs, and the
      // refusal says what the server signed, as before.
      s.advance(24 * 3600_000 + 1000);
      assert.equal(await signedWith(fresh), 'ok');
      const refused = await topCall(s, 'shouquan.store.get', {}, token, { secret: old });
      assert.equal(refused.json.error_response.code, 25);
      assert.match(
        refused.json.error_response.sub_msg,
        /^the signature does not match; likely cause: it was signed with the AppSecret from before the last rotation, which stopped signing at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(GMT\+8\): sign with the current AppSecret\. The server signed MD5\(secret \+ "app_key\d+formatjsonmethodshouquan\.store\.getsession[^"…]{4}…\(\d+ chars\)[^"]*" \+ secret\) as UTF-8 \(credentials shortened here\)$/,
      );
      assert.ok(!refused.text.includes(old) && !refused.text.includes(fresh), 'no secret in the answer');
      s.client.appSecret = fresh;
    });

    it('refuses the old secret at once after a rotation with overlap 0, and after "revoke previous now"', async () => {
      const before0 = s.client.appSecret;
      const s1 = await rotate(0);
      assert.equal(await signedWith(s1), 'ok');
      assert.equal(await signedWith(before0), 'isv.invalid-signature');

      const s2 = await rotate(48);
      assert.equal(await signedWith(s1), 'ok', 'inside the 48 h window');
      await endPreviousSecret(s.core.storage, s.client.appKey);
      assert.equal(await signedWith(s1), 'isv.invalid-signature');
      assert.equal(await signedWith(s2), 'ok');
      const settings = await s.core.storage.gateway!.apps.find(s.client.appKey);
      assert.equal(settings?.previousSealedSecret, null, 'the previous sealed secret is gone from the database');
      s.client.appSecret = s2;
    });

    it('keeps only one previous secret: a second rotation inside the window ends the first one', async () => {
      // 48 h: the CLI dates the window by the wall clock, which the server's clock is a day ahead of by now.
      const a = s.client.appSecret;
      const b = await rotate(48);
      const c = await rotate(48);
      assert.equal(await signedWith(c), 'ok');
      assert.equal(await signedWith(b), 'ok');
      assert.equal(await signedWith(a), 'isv.invalid-signature');
    });
  });
}
