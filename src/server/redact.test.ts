import { it } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from './redact.js';

it('redacts secrets in query strings and keeps the rest', () => {
  assert.equal(
    redactUrl('/token?code=abc&grant_type=authorization_code&app_secret=s3cr3t&app_key=123&refresh_token=r'),
    '/token?code=[REDACTED]&grant_type=authorization_code&app_secret=[REDACTED]&app_key=123&refresh_token=[REDACTED]',
  );
  assert.equal(redactUrl('/healthz'), '/healthz');
  assert.equal(redactUrl('/x?client%5Fsecret=s'), '/x?client%5Fsecret=[REDACTED]');
});
