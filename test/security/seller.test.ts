// Seller accounts: lockout, password storage, session fixation
// (RFC 6749 §10.12; RFC 6819 §5.1.4.2.3; OWASP ASVS V2.2.1, V2.4.1, V3.2.1).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FormClient, formAction, hiddenInput } from '../helpers/browserless.js';
import { authorizeUrl, eachDialect } from '../helpers/oauth.js';
import type { TestServer } from '../helpers/server.js';

/** A browser at the login form of a fresh interaction. */
async function loginForm(s: TestServer, c = new FormClient(s.url), lang?: string) {
  const start = await c.get(authorizeUrl(s, lang ? { lang } : {}));
  const path = start.headers.get('location')!;
  const page = await (await c.get(path)).text();
  return {
    c,
    path,
    page,
    login: (username: string, password: string, headers: Record<string, string> = {}) =>
      c.post(
        formAction(page)!.replace(/\/consent$/, '/login'),
        { csrf_token: hiddenInput(page, 'csrf_token')!, username, password },
        headers,
      ),
  };
}

const LOCKED_EN = /Too many failed sign-in attempts\. Sign-in is locked for 15 minutes; try again later\./;

await eachDialect(
  'security: seller accounts',
  { server: { limits: { sellerLoginPerIp: { max: 1000, windowMs: 60_000, blockMs: 60_000 } } } },
  (server) => {
    it('5 wrong passwords lock the account for 15 minutes with a clear message; then it unlocks', async () => {
      const s = server();
      const f = await loginForm(s);
      for (let i = 1; i <= 4; i++) {
        const res = await f.login(s.seller.username, `wrong-${i}`);
        assert.equal(res.status, 401);
        assert.match(await res.text(), /The username or password is wrong\./);
      }
      const fifth = await f.login(s.seller.username, 'wrong-5');
      assert.equal(fifth.status, 429);
      assert.equal(fifth.headers.get('retry-after'), '900');
      assert.match(await fifth.text(), LOCKED_EN);
      // While locked even the right password is refused (it is not checked at all).
      const right = await f.login(s.seller.username, s.seller.password);
      assert.equal(right.status, 429);
      assert.match(await right.text(), LOCKED_EN);
      assert.equal(
        [...f.c.cookies.keys()].some((k) => k.includes('sq_session')),
        false,
      );
      // A different browser is locked out too: the lock is on the account.
      const g = await loginForm(s);
      const other = await g.login(s.seller.username.toUpperCase(), s.seller.password);
      assert.equal(other.status, 429);
      await other.arrayBuffer();
      s.advance(15 * 60_000 + 1000);
      try {
        const after = await f.login(s.seller.username, s.seller.password);
        assert.equal(after.status, 303);
      } finally {
        s.advance(-(15 * 60_000 + 1000));
      }
    });

    it('unknown usernames are locked the same way (no account enumeration)', async () => {
      const s = server();
      const f = await loginForm(s);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await f.login('nobody-here', 'whatever-password');
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
    });

    it('the lockout message is localized (zh-CN)', async () => {
      const s = server();
      const f = await loginForm(s, undefined, 'zh-CN');
      let last: Response | undefined;
      for (let i = 0; i < 5; i++)
        last = await f.login('zh-user', 'wrong-password', { 'accept-language': 'zh-CN,zh;q=0.9' });
      assert.equal(last!.status, 429);
      assert.match(await last!.text(), /登录失败次数过多，已暂时锁定 15 分钟，请稍后再试。/);
    });

    it('passwords are stored as argon2id hashes', async () => {
      const s = server();
      const seller = await s.core.storage.sellers.find(s.seller.sellerId);
      assert.match(seller!.passwordHash, /^\$argon2id\$v=19\$/);
      assert.match(seller!.passwordHash, /m=19456/);
      assert.doesNotMatch(seller!.passwordHash, new RegExp(s.seller.password));
    });

    it('session fixation: a session id planted before login is replaced and worthless', async () => {
      const s = server();
      const c = new FormClient(s.url);
      c.cookies.set('sq_session', 'attacker-chosen-session-id-0123456789');
      const f = await loginForm(s, c);
      const res = await f.login(s.seller.username, s.seller.password);
      assert.equal(res.status, 303);
      const issued = c.cookies.get('sq_session');
      assert.ok(issued && issued !== 'attacker-chosen-session-id-0123456789');
      // The attacker's planted value does not log anyone in.
      const attacker = new FormClient(s.url);
      attacker.cookies.set('sq_session', 'attacker-chosen-session-id-0123456789');
      const a = await loginForm(s, attacker);
      const page = await (await attacker.get(a.path)).text();
      assert.match(page, /name="password"/, 'the attacker still sees the login form');
    });

    it('a second login replaces the previous session id, which stops working', async () => {
      const s = server();
      const f = await loginForm(s);
      assert.equal((await f.login(s.seller.username, s.seller.password)).status, 303);
      const first = f.c.cookies.get('sq_session')!;
      // Same browser, new interaction: the page is the consent form, but posting to /login logs in anew.
      const g = await loginForm(s, f.c);
      assert.match(g.page, /name="decision"/);
      assert.equal((await g.login(s.seller.username, s.seller.password)).status, 303);
      const second = f.c.cookies.get('sq_session')!;
      assert.notEqual(second, first);
      const old = new FormClient(s.url);
      old.cookies.set('sq_session', first);
      const h = await loginForm(s, old);
      assert.match(h.page, /name="password"/, 'the old session id no longer logs in');
    });
  },
);

await eachDialect(
  'security: seller login per IP',
  { server: { limits: { sellerLoginPerIp: { max: 3, windowMs: 60_000, blockMs: 120_000 } } } },
  (server) => {
    it('failures across many usernames from one IP are throttled', async () => {
      const s = server();
      const f = await loginForm(s);
      const statuses: number[] = [];
      for (const u of ['alice', 'bob', 'carol', 'dave']) {
        const res = await f.login(u, 'wrong-password');
        statuses.push(res.status);
        if (res.status === 429) {
          assert.equal(res.headers.get('retry-after'), '120');
          assert.match(await res.text(), /Sign-in is locked for 2 minutes/);
        } else await res.arrayBuffer();
      }
      assert.deepEqual(statuses, [401, 401, 429, 429]);
    });
  },
);
