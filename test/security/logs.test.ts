// JSON logs carry request ids and never secrets (RFC 6819 §5.1.4.1, §5.2.3; RFC 9700 §4.13).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { basicAuth, codeFor, eachDialect, exchange, token } from '../helpers/oauth.js';
import { FormClient, formAction, hiddenInput, postForm } from '../helpers/browserless.js';
import { authorizeUrl } from '../helpers/oauth.js';

const lines: string[] = [];
const stream = new Writable({
  write(chunk, _enc, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

await eachDialect('security: logs', { server: { logger: { level: 'info', stream } } }, (server) => {
  it('every log line is JSON with a request id, and no credential appears anywhere', async () => {
    const s = server();
    lines.length = 0;
    const code = await codeFor(s, { state: 'secret-state-value' });
    const ok = await exchange(s, code);
    await token(s, { grant_type: 'refresh_token', refresh_token: ok.json.refresh_token });
    await postForm(
      `${s.url}/oauth/introspect`,
      { token: ok.json.access_token },
      { authorization: basicAuth(s.client.appKey, s.client.appSecret) },
    );
    await token(s, { grant_type: 'refresh_token', refresh_token: 'guess', client_secret: 'wrong-secret-value' });
    const c = new FormClient(s.url);
    const start = await c.get(authorizeUrl(s));
    const page = await (await c.get(start.headers.get('location')!)).text();
    await c.post(formAction(page)!, {
      csrf_token: hiddenInput(page, 'csrf_token')!,
      username: s.seller.username,
      password: 'a-wrong-password-123',
    });
    await fetch(`${s.url}/api/v1/store`, { headers: { authorization: `Bearer ${ok.json.access_token}` } });
    assert.ok(lines.length > 10);
    const all = lines.join('\n');
    for (const secret of [
      s.client.appSecret,
      s.seller.password,
      'a-wrong-password-123',
      'wrong-secret-value',
      code,
      ok.json.access_token,
      ok.json.refresh_token,
    ]) {
      assert.ok(!all.includes(secret), `a credential leaked into the logs: ${secret.slice(0, 6)}…`);
    }
    const withRequest = lines.map((l) => JSON.parse(l)).filter((l) => l.req || l.res);
    assert.ok(withRequest.length > 0);
    for (const l of withRequest) assert.match(l.reqId, /^[0-9a-f-]{36}$/);
  });
});
