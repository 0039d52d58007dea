/**
 * A refusal of the management API or its CLI twins: an HTTP status, a stable error code and a
 * message for people. The API answers `{"error": code, "message": message}`; the CLI prints the message.
 */
export class ManagementError extends Error {
  constructor(
    readonly status: number,
    readonly code: 'invalid_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'ManagementError';
  }
}
