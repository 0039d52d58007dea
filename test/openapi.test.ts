import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { builtinProfiles } from '../src/profiles/registry.js';
import { gatewayMethods } from '../src/gateway/methods/index.js';
import { argsOf } from '../src/gateway/methods/method.js';
import { answerName, openApiPath } from '../src/server/openapi/openapi.js';
import { startTestServer, type TestServer } from './helpers/server.js';

for (const name of Object.keys(builtinProfiles)) {
  describe(`API reference (${name} profile)`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ profile: name });
    });
    after(async () => s?.close());

    it('describes every route the server registered', () => {
      assert.deepEqual(s.server.apiReference().undocumented, []);
    });

    it('serves a valid OpenAPI 3.1 document at /openapi.json', async () => {
      const res = await fetch(`${s.url}/openapi.json`);
      assert.equal(res.status, 200);
      const doc = await res.json();
      assert.equal(doc.openapi, '3.1.0');
      const result = await new Validator().validate(doc);
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
      const p = builtinProfiles[name]!;
      assert.ok(doc.paths[p.paths.token].post, 'token endpoint described at the profile path');
      assert.ok(doc.paths[p.paths.authorize].get, 'authorize endpoint described at the profile path');
      const tokenSchema = doc.paths[p.paths.token].post.responses['200'].content['application/json'].schema.oneOf[0];
      assert.deepEqual(
        Object.keys(tokenSchema.properties),
        p.responses.code.map((f) => f.name),
      );
    });

    it('serves the same reference as a page at /docs', async () => {
      const res = await fetch(`${s.url}/docs`);
      assert.equal(res.status, 200);
      const page = await res.text();
      assert.match(page, /<h2>OAuth 2.0<\/h2>/);
      assert.ok(page.includes(builtinProfiles[name]!.paths.token));
      assert.doesNotMatch(page, /<script/);
    });
  });
}

it('documents every gateway method from its declaration: arguments, REST, typed answers', async () => {
  const s = await startTestServer({});
  try {
    const doc = await (await fetch(`${s.url}/openapi.json`)).json();
    for (const m of gatewayMethods) {
      const answer = doc.components.schemas[answerName(m)];
      assert.equal(answer?.type, 'object', `${m.name} has a typed answer`);
      if (!m.rest) continue;
      const op = doc.paths[openApiPath(m.rest.path)][m.rest.method.toLowerCase()];
      const ok = String(m.rest.status ?? 200);
      assert.deepEqual(op.responses[ok].content['application/json'].schema, {
        $ref: `#/components/schemas/${answerName(m)}`,
      });
      const documented = [
        ...op.parameters.map((p: { name: string }) => p.name),
        ...Object.keys(op.requestBody?.content['application/json'].schema.properties ?? {}),
      ].sort();
      assert.deepEqual(documented, Object.keys(argsOf(m)).sort(), `${m.name}'s arguments`);
    }
    const orders = doc.components.schemas.OrdersListAnswer;
    assert.deepEqual(orders.required, ['total_results', 'page_no', 'page_size', 'has_next', 'orders']);
    assert.equal(orders.properties.orders.items.properties.total_fee.type, 'string');
  } finally {
    await s.close();
  }
});
