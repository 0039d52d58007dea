import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GENERATED_SECTIONS, sectionOf } from './docs-tables.js';
import { GATEWAY_CODES, GatewayError, restStatus, type GatewayCode } from './errors.js';

const doc = readFileSync(new URL('../../docs/gateway.md', import.meta.url), 'utf8');

describe('docs/gateway.md generated tables', () => {
  for (const s of GENERATED_SECTIONS) {
    it(`${s.name} match the code (regenerate: node --import tsx scripts/render-gateway-tables.ts)`, () => {
      assert.equal(sectionOf(doc, s.name), `\n${s.render()}\n`);
    });
  }
});

describe('gateway error catalogue', () => {
  it('has each code once', () => {
    const codes = Object.values(GATEWAY_CODES as Record<string, GatewayCode>).map((c) => c.code);
    assert.equal(new Set(codes).size, codes.length);
  });
  it('maps code 15 by sub_code and the others by code', () => {
    const st = (e: GatewayError) => `${restStatus(e).status} ${restStatus(e).error}`;
    const remote = GATEWAY_CODES.remoteServiceError;
    assert.equal(st(new GatewayError(remote, 'isv.order-not-exist')), '404 not_found');
    assert.equal(st(new GatewayError(remote, 'isp.remote-service-error')), '502 upstream_error');
    assert.equal(st(new GatewayError(remote, 'isv.order-status-invalid')), '409 conflict');
    assert.equal(st(new GatewayError(GATEWAY_CODES.invalidSession, 'isv.store-not-exist')), '401 invalid_token');
    assert.equal(st(new GatewayError(GATEWAY_CODES.callLimited)), '429 too_many_requests');
    assert.equal(st(new GatewayError(GATEWAY_CODES.insufficientPermissions)), '403 insufficient_scope');
    assert.equal(st(new GatewayError(GATEWAY_CODES.invalidArguments)), '400 invalid_request');
    assert.equal(st(new GatewayError(GATEWAY_CODES.invalidSignature)), '400 invalid_request');
    const e = new GatewayError(GATEWAY_CODES.invalidArguments, 'isv.invalid-parameter:x', 'parameter x is bad');
    assert.deepEqual([e.code, e.msg, e.message], [41, 'Invalid Arguments', 'parameter x is bad']);
  });
});
