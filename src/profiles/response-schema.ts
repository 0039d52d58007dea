import type { ResponseField, ResponseSource } from './profile.js';

/**
 * `store_id` as ISVs see it (docs/adr/0125): Shouquan's number for a built-in store, the platform's
 * own id (a string) for a store from its account system (`serve --seller-directory`).
 */
export const STORE_ID_SCHEMA = {
  type: ['integer', 'string'],
  description:
    "Shouquan's number for a built-in store; the platform's own store id, a string, for a store from its account system (serve --seller-directory)",
};

const SOURCE_TYPES: Record<ResponseSource, 'string' | 'integer'> = {
  access_token: 'string',
  token_type: 'string',
  expires_in: 'integer',
  refresh_token: 'string',
  refresh_expires_in: 'integer',
  scope: 'string',
  seller_id: 'integer',
  store_id: 'integer',
  error_status: 'string',
};

/** JSON Schema of a profile response shape, from its field list (so it cannot drift). */
export function fieldsSchema(fields: ResponseField[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const f of fields) {
    if ('value' in f) properties[f.name] = { const: f.value };
    else if (f.from === 'store_id' && f.type === undefined) properties[f.name] = STORE_ID_SCHEMA;
    else properties[f.name] = { type: f.type === 'number' ? 'integer' : (f.type ?? SOURCE_TYPES[f.from]) };
    if (!('optional' in f && f.optional)) required.push(f.name);
  }
  return { type: 'object', properties, required };
}
