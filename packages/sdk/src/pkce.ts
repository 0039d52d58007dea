import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636): keep the verifier, send the challenge. */
export interface Pkce {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

/** A fresh PKCE pair: a 43-character verifier (RFC 7636 §4.1) and its S256 challenge (§4.2). */
export function createPkce(): Pkce {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: s256(codeVerifier), codeChallengeMethod: 'S256' };
}

/** BASE64URL(SHA256(ASCII(verifier))) (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** An unguessable `state` value (RFC 6749 §10.12). */
export function randomState(): string {
  return randomBytes(16).toString('base64url');
}
