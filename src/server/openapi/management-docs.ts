import { MANAGEMENT_API_PREFIX, managementRoutes } from '../../management/api/management-api.js';
import { schemas } from '../../management/api/schemas.js';
import type { HttpContext } from '../http-context.js';
import type { OperationDoc } from './openapi.js';

type Schema = Record<string, unknown>;

/** Named schemas become `$ref`s (wherever the same object is used), so generated clients get real types. */
function refify(schema: unknown, names: Map<unknown, string>, top = true): unknown {
  if (!top && names.has(schema)) return { $ref: `#/components/schemas/${names.get(schema)}` };
  if (Array.isArray(schema)) return schema.map((s) => refify(s, names, false));
  if (schema && typeof schema === 'object')
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, refify(v, names, false)]));
  return schema;
}

const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });

/** The components the management API adds to /openapi.json. */
export function managementSchemas(): Record<string, unknown> {
  const names = new Map<unknown, string>(Object.entries(schemas).map(([n, s]) => [s, n]));
  return Object.fromEntries(Object.entries(schemas).map(([n, s]) => [n, refify(s, names)]));
}

/** The operations of the management API, from the same table that registers them. */
export function managementRouteDocs(ctx: HttpContext): Array<[string, OperationDoc]> {
  const names = new Map<unknown, string>(Object.entries(schemas).map(([n, s]) => [s, n]));
  const err = (d: string) => json({ $ref: '#/components/schemas/Error' }, d);
  return managementRoutes(ctx).map((r) => {
    const params = [...r.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = Object.entries((r.querystring?.properties ?? {}) as Record<string, Schema>).map(([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      schema,
    }));
    const responses: Record<string, Record<string, unknown>> = {};
    for (const [status, schema] of Object.entries(r.success))
      responses[status] = schema === null ? { description: 'done' } : json(refify(schema, names, false), r.summary);
    Object.assign(responses, {
      400: err('invalid request: a bad or unknown field, a bad query value or cursor'),
      401: err('no valid operator API token'),
      ...(r.method === 'GET' ? {} : { 403: err('the token is read-only') }),
      ...(params.length > 0 ? { 404: err('no such resource') } : {}),
      ...(r.method === 'POST' && r.url === '/sellers' ? { 409: err('the username is taken') } : {}),
    });
    const doc: OperationDoc = {
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      security: [{ operatorToken: [] }],
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: refify(r.body, names, false) } } } }
        : {}),
      responses,
    };
    return [`${r.method} ${MANAGEMENT_API_PREFIX}${r.url}`, doc];
  });
}
