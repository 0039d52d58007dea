import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the directory received, as it arrived. */
export interface DirectoryRequest {
  method: string;
  contentType: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  /** Whether the signature checks out under the shared secret. */
  signatureValid: boolean;
}

/** How the directory answers one username: a status and body, a hang, or a reset connection. */
export type DirectoryBehaviour = { status: number; body?: unknown; raw?: string } | 'hang' | 'reset';

/**
 * A platform's seller directory as a real HTTP server (the contract of issue 14 §1): it checks the
 * signature as a platform would (HMAC-SHA256 over timestamp "." raw body) and answers per username.
 */
export class FakeSellerDirectory {
  readonly requests: DirectoryRequest[] = [];
  readonly accounts = new Map<string, { password: string; answer: () => DirectoryBehaviour }>();
  /** Answers for a username whatever the password (failures of the directory itself). */
  readonly behaviours = new Map<string, DirectoryBehaviour>();
  private server?: Server;
  private hanging = new Set<IncomingMessage>();
  url = '';

  constructor(readonly secret: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const timestamp = req.headers['x-shouquan-timestamp'] as string | undefined;
        const signature = req.headers['x-shouquan-signature'] as string | undefined;
        const expected = `sha256=${createHmac('sha256', this.secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
        const signatureValid =
          signature !== undefined &&
          signature.length === expected.length &&
          timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
        this.requests.push({
          method: req.method ?? '',
          contentType: req.headers['content-type'],
          timestamp,
          signature,
          rawBody,
          signatureValid,
        });
        if (!signatureValid)
          return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
        let body: { username?: string; password?: string };
        try {
          body = JSON.parse(rawBody);
        } catch {
          return void res.writeHead(400).end();
        }
        const behaviour =
          this.behaviours.get(body.username ?? '') ??
          (() => {
            const account = this.accounts.get(body.username ?? '');
            if (!account) return { status: 404, body: { error: 'no such seller' } };
            if (account.password !== body.password) return { status: 401, body: { error: 'wrong password' } };
            return account.answer();
          })();
        if (behaviour === 'hang') return void this.hanging.add(req);
        if (behaviour === 'reset') return void req.socket.destroy();
        res
          .writeHead(behaviour.status, { 'content-type': 'application/json' })
          .end(behaviour.raw ?? JSON.stringify(behaviour.body ?? {}));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sellers/authenticate`;
    return this;
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.socket.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
