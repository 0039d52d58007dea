import type { FastifyInstance } from 'fastify';
import { UnreadableInputError } from '../core/params.js';

/** Decodes strictly: a byte sequence that is not UTF-8 throws. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Names of the cookies this server reads (session, interaction, consoles, CSRF, language). */
const OWN_COOKIE = /^(?:__Host-|__Secure-)?sq_/;

/**
 * Why a percent-encoded string (a URL, a cookie value) is unacceptable as input, or undefined.
 * The string is taken as it came off the wire (Node gives the request line as latin1), its
 * `%XX` escapes are turned into the bytes they stand for, and the bytes must be UTF-8 with no
 * NUL. A `%` not followed by two hex digits stays as it is (the query parser is lenient there).
 */
export function percentEncodedProblem(text: string): string | undefined {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 || c === 0 || c > 0x7e) {
      plain = false;
      break;
    }
  }
  if (plain) return undefined; // the common case: printable ASCII, no escapes
  const raw = Buffer.from(text, 'latin1');
  const bytes = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25 && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
      bytes[n++] = parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16);
      i += 2;
    } else {
      bytes[n++] = b;
    }
  }
  const decoded = bytes.subarray(0, n);
  if (decoded.includes(0)) return 'a NUL byte';
  try {
    strictUtf8.decode(decoded);
  } catch {
    return 'bytes that are not UTF-8';
  }
  return undefined;
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

/**
 * One guard for every route (issue 15, finding 4): a NUL byte or invalid UTF-8 anywhere in the
 * path or query, or in a cookie this server reads, is `400 invalid_request` before any handler or
 * database sees it (PostgreSQL refuses NUL in text and answered 500). Form bodies get the same
 * rule in their parser (`parseFormBody`).
 */
export function installInputGuard(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const inUrl = percentEncodedProblem(request.url);
    if (inUrl) return done(new UnreadableInputError(`the URL contains ${inUrl}`));
    const cookie = request.headers.cookie;
    if (cookie !== undefined) {
      for (const part of cookie.split(';')) {
        const eq = part.indexOf('=');
        const name = part.slice(0, eq === -1 ? undefined : eq).trim();
        if (!OWN_COOKIE.test(name)) continue;
        const problem = percentEncodedProblem(eq === -1 ? '' : part.slice(eq + 1));
        if (problem) return done(new UnreadableInputError(`the cookie ${name} contains ${problem}`));
      }
    }
    done();
  });
}

/** Bytes of an `application/x-www-form-urlencoded` body as text: invalid UTF-8 is `invalid_request`. */
export function formBodyText(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new UnreadableInputError('the request body is not UTF-8');
  }
}
