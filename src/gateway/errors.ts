/**
 * The catalogue of gateway error codes (docs/adr/0165): each code once, with TOP's `msg`, when it
 * is given and what the REST face answers for it. Code that refuses a call names an entry
 * (`new GatewayError(GATEWAY_CODES.invalidArguments, sub_code, sub_msg)`), never a number and a
 * message of its own; docs/gateway.md's error tables are generated from here
 * (`node --import tsx scripts/render-gateway-tables.ts`; `src/gateway/docs-tables.test.ts` compares).
 */
export interface GatewayCode {
  readonly code: number;
  readonly msg: string;
  /** When the gateway gives it (docs). */
  readonly when: string;
  /** The REST face's HTTP status and RFC 6750 `error`; code 15 follows its `sub_code` (`SUB_CODE_CONVENTIONS`). */
  readonly rest: { readonly status: number; readonly error: string };
}

const badRequest = { status: 400, error: 'invalid_request' } as const;

export const GATEWAY_CODES = {
  callLimited: {
    code: 7,
    msg: 'App Call Limited',
    when: "over the app's per-second or per-day quota, or its daily receiver decryptions; `Retry-After` says when to retry",
    rest: { status: 429, error: 'too_many_requests' },
  },
  insufficientPermissions: {
    code: 11,
    msg: 'Insufficient isv permissions',
    when:
      "the app's permission packages don't include the method (`isv.permission-api-package-empty`), or the seller did " +
      'not grant it — unticked on the consent page or narrowed later in the seller center (`isv.permission-user-scope`)',
    rest: { status: 403, error: 'insufficient_scope' },
  },
  remoteServiceError: {
    code: 15,
    msg: 'Remote service error',
    when:
      '`isv.store-not-exist` (a `store_id` outside the token), `isv.order-not-exist`, `isv.product-not-exist`, ' +
      '`isv.order-status-invalid`, `isp.remote-service-*` upstream failure, `isp.unknown-error`',
    rest: { status: 409, error: 'conflict' },
  },
  missingMethod: { code: 21, msg: 'Missing Method', when: 'no `method`', rest: badRequest },
  invalidMethod: {
    code: 22,
    msg: 'Invalid Method',
    when: 'no such method under the profile’s prefix',
    rest: badRequest,
  },
  invalidFormat: { code: 23, msg: 'Invalid Format', when: '`format` other than `json`', rest: badRequest },
  missingSignature: { code: 24, msg: 'Missing Signature', when: 'no `sign`', rest: badRequest },
  invalidSignature: {
    code: 25,
    msg: 'Invalid Signature',
    when: '`sub_msg` names the likely cause and shows the signed string, credentials cut to a prefix',
    rest: badRequest,
  },
  missingSession: {
    code: 26,
    msg: 'Missing session',
    when: 'a seller method without the seller’s token',
    rest: { status: 401, error: 'invalid_token' },
  },
  invalidSession: {
    code: 27,
    msg: 'Invalid session',
    when: 'unknown, expired or revoked token, another app’s, its app suspended or its store gone',
    rest: { status: 401, error: 'invalid_token' },
  },
  missingAppKey: { code: 28, msg: 'Missing App Key', when: 'no `app_key`', rest: badRequest },
  invalidAppKey: {
    code: 29,
    msg: 'Invalid App Key',
    when: 'unknown or suspended app, or no signing secret on file',
    rest: badRequest,
  },
  missingTimestamp: { code: 30, msg: 'Missing Timestamp', when: 'no `timestamp`', rest: badRequest },
  invalidTimestamp: {
    code: 31,
    msg: 'Invalid Timestamp',
    when: 'malformed, or more than the allowed skew away (`sub_msg` names an 8-hour zone error)',
    rest: badRequest,
  },
  missingVersion: { code: 32, msg: 'Missing Version', when: 'no `v`', rest: badRequest },
  unsupportedVersion: { code: 34, msg: 'Unsupported Version', when: '`v` other than `2.0`', rest: badRequest },
  missingArguments: {
    code: 40,
    msg: 'Missing Required Arguments',
    when:
      '`sub_code` names the parameter (`isv.missing-parameter:order_id`, `isv.missing-parameter:store_id` when a ' +
      'token of several stores names none)',
    rest: badRequest,
  },
  invalidArguments: {
    code: 41,
    msg: 'Invalid Arguments',
    when:
      '`sub_code` names the parameter (`isv.invalid-parameter:price`), or the request (`isv.invalid-request`, ' +
      '`isv.invalid-encoding`, `isv.invalid-content-type`)',
    rest: badRequest,
  },
} as const satisfies Record<string, GatewayCode>;

export type GatewayCodeName = keyof typeof GATEWAY_CODES;

/**
 * `sub_code` conventions, in the order the REST face tests them for code 15 (the first match wins;
 * none: the entry's own status). Other codes' `sub_code`s only explain; their status is the entry's.
 */
export const SUB_CODE_CONVENTIONS: readonly {
  readonly pattern: string;
  readonly test: (subCode: string) => boolean;
  readonly meaning: string;
  readonly rest?: { readonly status: number; readonly error: string };
}[] = [
  {
    pattern: 'isv.missing-parameter:<name>',
    test: (s) => s.startsWith('isv.missing-parameter:'),
    meaning: 'code 40 (21, 24, 28, 30, 32 for the system parameters): the parameter is absent',
  },
  {
    pattern: 'isv.invalid-parameter:<name>',
    test: (s) => s.startsWith('isv.invalid-parameter:'),
    meaning: 'code 41 (31, 34, 23 for the system parameters): the parameter has a bad value',
  },
  {
    pattern: 'isv.<thing>-not-exist',
    test: (s) => s.endsWith('-not-exist'),
    meaning: 'code 15: the thing is not in the token’s store (or not one of the token’s stores)',
    rest: { status: 404, error: 'not_found' },
  },
  {
    pattern: 'isp.*',
    test: (s) => s.startsWith('isp.'),
    meaning: 'code 15: the platform failed (an upstream service, or an unexpected error); retry later',
    rest: { status: 502, error: 'upstream_error' },
  },
  {
    pattern: 'isv.*',
    test: (s) => s.startsWith('isv.'),
    meaning: 'the call is wrong: fix it before retrying (code 15 with another `isv.` sub code: 409 `conflict`)',
  },
];

/**
 * A refused gateway call, in TOP's numbering (code/msg from the catalogue, then a sub_code/sub_msg
 * that says exactly what is wrong). The router renders it as `error_response`; the REST face maps
 * it to RFC 6750 / RFC 9110 statuses (see `restStatus`).
 */
export class GatewayError extends Error {
  readonly code: number;
  readonly msg: string;
  constructor(
    readonly entry: GatewayCode,
    readonly subCode?: string,
    readonly subMsg?: string,
    /** Seconds, for `Retry-After` (code 7). */
    readonly retryAfter?: number,
  ) {
    super(subMsg ?? entry.msg);
    this.code = entry.code;
    this.msg = entry.msg;
    this.name = `GatewayError(${entry.code})`;
  }
}

/** 40: a required argument is absent. */
export const missingArgument = (name: string) =>
  new GatewayError(GATEWAY_CODES.missingArguments, `isv.missing-parameter:${name}`, `parameter ${name} is required`);

/** 41: an argument has a bad value. */
export const invalidArgument = (name: string, why: string) =>
  new GatewayError(GATEWAY_CODES.invalidArguments, `isv.invalid-parameter:${name}`, `parameter ${name} ${why}`);

/** 41 about the request as a whole (`isv.invalid-request`, `isv.invalid-encoding`, …). */
export const invalidRequest = (subCode: string, subMsg: string) =>
  new GatewayError(GATEWAY_CODES.invalidArguments, subCode, subMsg);

/** 15 with an `isv.*-not-exist` sub code: the thing is not in the token's store. */
export const notFound = (what: 'product' | 'order', id: number | string) =>
  new GatewayError(
    GATEWAY_CODES.remoteServiceError,
    `isv.${what}-not-exist`,
    `${what} ${id} does not exist in this store`,
  );

/** HTTP status and RFC 6750 error code the REST face uses for a gateway error. */
export function restStatus(e: GatewayError): { status: number; error: string } {
  if (e.code === GATEWAY_CODES.remoteServiceError.code && e.subCode !== undefined) {
    const rule = SUB_CODE_CONVENTIONS.find((c) => c.rest && c.test(e.subCode as string));
    if (rule?.rest) return rule.rest;
  }
  return e.entry.rest;
}

/** docs/gateway.md's error tables (codes, then `sub_code` conventions), from the catalogue. */
export function renderErrorTables(): string {
  const restOf = (c: GatewayCode) =>
    c.code === GATEWAY_CODES.remoteServiceError.code
      ? `by \`sub_code\` (below), else ${c.rest.status} \`${c.rest.error}\``
      : `${c.rest.status} \`${c.rest.error}\``;
  const codes = Object.values(GATEWAY_CODES as Record<string, GatewayCode>)
    .sort((a, b) => a.code - b.code)
    .map((c) => `| ${c.code} | ${c.msg} | ${c.when} | ${restOf(c)} |`);
  const subs = SUB_CODE_CONVENTIONS.map(
    (s) => `| \`${s.pattern}\` | ${s.meaning} | ${s.rest ? `${s.rest.status} \`${s.rest.error}\`` : '(the code’s)'} |`,
  );
  return [
    '| code | msg | When | REST |',
    '|---|---|---|---|',
    ...codes,
    '',
    '| `sub_code` | Meaning | REST (code 15) |',
    '|---|---|---|',
    ...subs,
  ].join('\n');
}
