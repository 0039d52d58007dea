/**
 * OAuth 2.0 error classes, one per error code (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 7009 §2.2.1).
 *
 * `description` is what the client sees in `error_description`; `detail` is the internal
 * reason and only ever reaches logs.
 */
export abstract class OAuthError extends Error {
  abstract readonly code: string;
  /** HTTP status for the token-style JSON response (RFC 6749 §5.2). */
  readonly status: number = 400;
  constructor(
    readonly description: string,
    readonly detail?: string,
  ) {
    super(description);
  }
  override get name(): string {
    return `OAuthError(${this.code})`;
  }
}

/** RFC 6749 §5.2 `invalid_request`. */
export class InvalidRequestError extends OAuthError {
  readonly code = 'invalid_request';
}

/** RFC 6749 §5.2 `invalid_client`: 401 with `WWW-Authenticate`. */
export class InvalidClientError extends OAuthError {
  readonly code = 'invalid_client';
  override readonly status = 401;
}

/** RFC 6749 §5.2 `invalid_grant`. */
export class InvalidGrantError extends OAuthError {
  readonly code = 'invalid_grant';
}

/** RFC 6749 §5.2 `unauthorized_client`. */
export class UnauthorizedClientError extends OAuthError {
  readonly code = 'unauthorized_client';
}

/** RFC 6749 §5.2 `unsupported_grant_type`. */
export class UnsupportedGrantTypeError extends OAuthError {
  readonly code = 'unsupported_grant_type';
}

/** RFC 6749 §4.1.2.1 / §5.2 `invalid_scope`. */
export class InvalidScopeError extends OAuthError {
  readonly code = 'invalid_scope';
}

/** RFC 6749 §4.1.2.1 `access_denied`. */
export class AccessDeniedError extends OAuthError {
  readonly code = 'access_denied';
  override readonly status = 403;
}

/** RFC 6749 §4.1.2.1 `unsupported_response_type`. */
export class UnsupportedResponseTypeError extends OAuthError {
  readonly code = 'unsupported_response_type';
}

/** RFC 6749 §4.1.2.1 `server_error` (a 500 that can still be redirected). */
export class ServerError extends OAuthError {
  readonly code = 'server_error';
  override readonly status = 500;
}

/** RFC 6749 §4.1.2.1 `temporarily_unavailable`. */
export class TemporarilyUnavailableError extends OAuthError {
  readonly code = 'temporarily_unavailable';
  override readonly status = 503;
}

/** RFC 7009 §2.2.1 `unsupported_token_type`. */
export class UnsupportedTokenTypeError extends OAuthError {
  readonly code = 'unsupported_token_type';
}

/** RFC 6750 §3.1 `invalid_token`: 401 at a protected resource. */
export class InvalidTokenError extends OAuthError {
  readonly code = 'invalid_token';
  override readonly status = 401;
  /** No credentials were sent at all: RFC 6750 §3.1 says the challenge then carries no error code. */
  missing = false;
  /** The request had no access token. */
  static missingToken(): InvalidTokenError {
    const e = new InvalidTokenError('an access token is required', 'no token');
    e.missing = true;
    return e;
  }
}

/** RFC 6750 §3.1 `insufficient_scope`: 403 at a protected resource. */
export class InsufficientScopeError extends OAuthError {
  readonly code = 'insufficient_scope';
  override readonly status = 403;
}
