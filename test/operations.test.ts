// Operations: Prometheus metrics and the append-only audit log (issue 6 "Operations").
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openDatabase } from '../src/storage/kysely/database.js';
import { renewAppSecret } from '../src/apps/apps.js';
import { anotherApp, codeFor, eachDialect, exchange, tokensFor, token } from './helpers/oauth.js';
import { postForm } from './helpers/browserless.js';

await eachDialect('operations', {}, (server) => {
  it('/metrics has requests by route and status, tokens by grant, errors by code, latency and pool use', async () => {
    const s = server();
    const t = await tokensFor(s);
    await token(s, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    await token(s, { grant_type: 'refresh_token', refresh_token: 'nope' });
    const res = await fetch(`${s.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^shouquan_http_requests_total\{method="POST",route="\/oauth\/token",status="200"\} [1-9]/m);
    assert.match(text, /^shouquan_http_requests_total\{method="POST",route="\/oauth\/token",status="400"\} [1-9]/m);
    assert.match(text, /^shouquan_tokens_issued_total\{grant_type="authorization_code"\} [1-9]/m);
    assert.match(text, /^shouquan_tokens_issued_total\{grant_type="refresh_token"\} [1-9]/m);
    assert.match(text, /^shouquan_oauth_errors_total\{error="invalid_grant"\} [1-9]/m);
    assert.match(
      text,
      /^shouquan_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/oauth\/token"\} [1-9]/m,
    );
    assert.match(text, /^shouquan_db_up 1$/m);
    if (s.db.dialect === 'postgres') {
      assert.match(text, /^shouquan_db_pool_connections\{state="max"\} 10$/m);
      assert.match(text, /^shouquan_db_pool_connections\{state="total"\} [1-9]/m);
    }
    assert.doesNotMatch(text, new RegExp(s.client.appSecret), 'no secrets in metrics');
  });

  it('/readyz is 200 when the database answers', async () => {
    const s = server();
    const res = await fetch(`${s.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready' });
  });

  it('the audit log records admin actions, grants and revocations, without credentials', async () => {
    const s = server();
    const audit = s.core.storage.audit!;
    // End the live grant the previous tests left: the standard profile would add this test's consents to it (ADR 0135).
    const left = await s.core.storage.grants.findLive(s.client.appKey, s.seller.sellerId);
    if (left) await s.core.storage.grants.revoke(left.grantId, s.core.now(), 'seller_revoked');
    const before = (await audit.list()).at(-1)?.id ?? 0;
    const other = await anotherApp(s);
    await renewAppSecret(s.core.storage, s.core.secretKey, other.appKey, 'f'.repeat(64), s.core.now());
    const code = await codeFor(s);
    const first = await exchange(s, code);
    assert.equal(first.status, 200);
    assert.equal((await exchange(s, code)).status, 400); // replay: grant revoked
    const t2 = await tokensFor(s);
    await postForm(`${s.url}/oauth/revoke`, {
      token: t2.access_token,
      client_id: s.client.appKey,
      client_secret: s.client.appSecret,
    });
    await postForm(`${s.url}/oauth/revoke`, {
      token: t2.refresh_token,
      client_id: s.client.appKey,
      client_secret: s.client.appSecret,
    });
    const entries = await audit.list({ afterId: before });
    const summary = entries.map((e) => [e.event, e.detail?.reason ?? e.detail?.via ?? e.detail?.kind ?? null]);
    assert.deepEqual(summary, [
      ['app.created', null],
      ['app.secret_rotated', null],
      ['grant.created', 'authorization_code'],
      // the replayed code was the grant's only consent: the grant ends (ADR 0150)
      ['grant.revoked', 'code_replay'],
      ['grant.created', 'authorization_code'],
      ['token.revoked', 'access'],
      ['grant.revoked', 'revoked_by_client'],
    ]);
    const created = entries.find((e) => e.event === 'grant.created')!;
    assert.equal(created.appKey, s.client.appKey);
    assert.equal(created.sellerId, s.seller.sellerId);
    assert.equal(created.actor, `seller:${s.seller.sellerId}`);
    const all = JSON.stringify(entries);
    for (const secret of [
      s.client.appSecret,
      other.appSecret,
      first.json.access_token,
      first.json.refresh_token,
      t2.access_token,
      code,
    ]) {
      assert.ok(!all.includes(secret), 'no credential in the audit log');
    }
    const seller = (await audit.list()).find((e) => e.event === 'seller.created');
    assert.equal(seller?.subject, s.seller.username);
  });

  it('the audit log is append-only: UPDATE and DELETE are refused by the database', async () => {
    const s = server();
    const { db } = openDatabase(s.db.url);
    try {
      await assert.rejects(sql`update audit_log set event = 'forged'`.execute(db), /append-only/);
      await assert.rejects(sql`delete from audit_log`.execute(db), /append-only/);
      if (s.db.dialect === 'postgres') await assert.rejects(sql`truncate audit_log`.execute(db), /append-only/);
      const n = await sql<{ n: number }>`select count(*) as n from audit_log`.execute(db);
      assert.ok(Number(n.rows[0]!.n) > 0);
    } finally {
      await db.destroy();
    }
  });
});
