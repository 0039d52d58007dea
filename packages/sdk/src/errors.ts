/**
 * Errors thrown by the SDK. Every failure the server reports arrives as a {@link ShouquanError}
 * carrying what the server said, in the field names of its protocol:
 * - OAuth endpoints (RFC 6749 §5.2, RFC 6750 §3.1): `error`, `errorDescription`;
 * - the signed router (TOP convention): `code`, `msg`, `subCode`, `subMsg`;
 * - both: `requestId` (the `request_id` field or the `X-Request-Id` header) and `status`.
 */
export class ShouquanError extends Error {
  /** Where it went wrong: the OAuth layer, the API (router or REST), the network, or the SDK's own checks. */
  readonly kind: 'oauth' | 'api' | 'network' | 'client';
  /** HTTP status of the answer, when there was one. */
  readonly status?: number;
  /** RFC 6749 §5.2 / RFC 6750 §3.1 error code, e.g. `invalid_grant`, `invalid_token`. */
  readonly error?: string;
  readonly errorDescription?: string;
  /** Router error code (TOP numbering, e.g. 25 invalid signature, 27 invalid session). */
  readonly code?: number | string;
  readonly msg?: string;
  /** Router sub code, e.g. `isv.invalid-signature`. */
  readonly subCode?: string;
  readonly subMsg?: string;
  /** The server's request id: quote it when asking the platform for help. */
  readonly requestId?: string;
  /** The parsed body of the answer, for anything not covered above. */
  readonly body?: unknown;

  constructor(
    message: string,
    fields: {
      kind: ShouquanError['kind'];
      status?: number;
      error?: string;
      errorDescription?: string;
      code?: number | string;
      msg?: string;
      subCode?: string;
      subMsg?: string;
      requestId?: string;
      body?: unknown;
      cause?: unknown;
    },
  ) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.kind = fields.kind;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.error !== undefined) this.error = fields.error;
    if (fields.errorDescription !== undefined) this.errorDescription = fields.errorDescription;
    if (fields.code !== undefined) this.code = fields.code;
    if (fields.msg !== undefined) this.msg = fields.msg;
    if (fields.subCode !== undefined) this.subCode = fields.subCode;
    if (fields.subMsg !== undefined) this.subMsg = fields.subMsg;
    if (fields.requestId !== undefined) this.requestId = fields.requestId;
    if (fields.body !== undefined) this.body = fields.body;
  }
}

/**
 * An OAuth error from the token, revocation or introspection endpoint, or a bearer-protected API (RFC 6749 §5.2, RFC
 * 6750 §3.1).
 */
export class OAuthError extends ShouquanError {}

/** An `error_response` from the signed router, or a non-OAuth failure of a REST API call. */
export class ApiError extends ShouquanError {}

/** The token store holds no usable tokens for a key: the seller must authorize (again). */
export class NotAuthorizedError extends ShouquanError {}

/** True when the error says the refresh token (or code) is no longer valid (RFC 6749 §5.2 `invalid_grant`). */
export function isInvalidGrant(e: unknown): boolean {
  if (!(e instanceof ShouquanError)) return false;
  if (e.error === 'invalid_grant') return true;
  // The router reports a dead refresh token as an invalid argument (TOP 41) naming refresh_token.
  return e.kind === 'api' && (e.subCode ?? '').includes('refresh_token');
}
