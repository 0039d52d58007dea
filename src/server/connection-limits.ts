import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Default of `serve --request-timeout`: seconds a client has to send a whole request (headers and body). */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;
/** Default of `serve --max-connections-per-ip`: open connections one client address may hold. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 128;

/**
 * Node's HTTP server options for a request timeout (issue 15, finding 2: a body sent one byte every
 * 5 s was still open after 110 s). `requestTimeout` bounds the whole request (headers and body),
 * `headersTimeout` the headers, `connectionTimeout` an idle socket; Node checks the first two every
 * `connectionsCheckingInterval`, so that is kept well under the timeout.
 */
export function timeoutOptions(seconds: number) {
  const ms = Math.round(seconds * 1000);
  return {
    requestTimeout: ms,
    connectionTimeout: ms,
    keepAliveTimeout: Math.min(ms, 72_000),
    http: {
      headersTimeout: ms,
      requestTimeout: ms,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(ms / 4))),
    },
  };
}

/**
 * One worker's share of `--max-connections-per-ip` under `serve --workers N` (the workers share
 * one port; node:cluster hands connections out round robin): `floor(max / workers)`, at least 1,
 * so that one address holds at most `max` connections over the whole command (or `workers` when
 * `max` is smaller). 0 (no limit) stays 0. Not shared between hosts: every node allows `max`.
 */
export function perWorkerConnections(max: number, workers: number): number {
  if (max <= 0) return 0;
  return Math.max(1, Math.floor(max / Math.max(1, workers)));
}

/**
 * Refuse a connection beyond `max` open ones from the same address (0: no limit): the client gets
 * `429` with `Retry-After` and `Connection: close`, and the socket is closed before Node's HTTP
 * parser sees it, so slow connections from one address cannot take every descriptor.
 * Behind a reverse proxy every connection comes from the proxy: set the limit there
 * (docs/operations.md) and turn this one off or raise it.
 */
export function limitConnectionsPerAddress(server: Server, max: number, onRefused?: (address: string) => void): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  const body = JSON.stringify({
    error: 'too_many_connections',
    error_description: `more than ${max} open connections from your address; close some and retry`,
  });
  const refusal =
    `HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  // Runs before the HTTP server's own listener: a refused socket never gets a parser.
  server.prependListener('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const n = open.get(address) ?? 0;
    if (n >= max) {
      onRefused?.(address);
      socket.on('error', () => {});
      socket.end(refusal);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    open.set(address, n + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
