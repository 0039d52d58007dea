/**
 * A refused gateway call, in TOP's numbering (code/msg, then a sub_code/sub_msg that says
 * exactly what is wrong). The router renders it as `error_response`; the REST face maps it to
 * RFC 6750 / RFC 9110 statuses (see `restStatus`).
 */
export class GatewayError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly subCode?: string,
    readonly subMsg?: string,
    /** Seconds, for `Retry-After` (code 7). */
    readonly retryAfter?: number,
  ) {
    super(subMsg ?? msg);
    this.name = `GatewayError(${code})`;
  }
}

/** 40: a required argument is absent. */
export const missingArgument = (name: string) => new GatewayError(40, 'Missing Required Arguments', `isv.missing-parameter:${name}`, `parameter ${name} is required`);

/** 41: an argument has a bad value. */
export const invalidArgument = (name: string, why: string) => new GatewayError(41, 'Invalid Arguments', `isv.invalid-parameter:${name}`, `parameter ${name} ${why}`);

/** 15 with an `isv.*-not-exist` sub code: the thing is not in the token's store. */
export const notFound = (what: 'product' | 'order', id: number | string) =>
  new GatewayError(15, 'Remote service error', `isv.${what}-not-exist`, `${what} ${id} does not exist in this store`);

/** HTTP status and RFC 6750 error code the REST face uses for a gateway error. */
export function restStatus(e: GatewayError): { status: number; error: string } {
  switch (e.code) {
    case 7:
      return { status: 429, error: 'too_many_requests' };
    case 11:
    case 12:
      return { status: 403, error: 'insufficient_scope' };
    case 26:
    case 27:
      return { status: 401, error: 'invalid_token' };
    case 40:
    case 41:
      return { status: 400, error: 'invalid_request' };
    case 15:
      if (e.subCode?.endsWith('-not-exist')) return { status: 404, error: 'not_found' };
      if (e.subCode?.startsWith('isp.')) return { status: 502, error: 'upstream_error' };
      return { status: 409, error: 'conflict' };
    default:
      return { status: 400, error: 'invalid_request' };
  }
}
