import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * The request id (issue 17): a load balancer's `X-Request-Id` is kept when the proxy in front is
 * trusted (`--trust-proxy`), so one id follows a request from the edge through Shouquan's logs
 * (pino's `reqId`), its answer (`X-Request-Id`, and `request_id` in gateway bodies) and the
 * services it calls. Anything else gets a fresh UUID. An incoming id is used only when it is 1 to
 * 128 characters of letters, digits and `-_.:+=/@`: no spaces, quotes, control characters or
 * anything else a log line or a header could be forged with.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:+=/@-]{1,128}$/;

/** Whether a request's direct peer is a proxy `--trust-proxy` trusts. */
export function trustedPeer(
  trustProxy: boolean | number | string | string[] | undefined,
): (address: string | undefined) => boolean {
  if (trustProxy === undefined || trustProxy === false) return () => false;
  if (trustProxy === true) return () => true;
  // A hop count n trusts the n nearest proxies: the direct peer is the first.
  if (typeof trustProxy === 'number') return () => trustProxy >= 1;
  const list = (Array.isArray(trustProxy) ? trustProxy : trustProxy.split(',')).map((s) => s.trim()).filter(Boolean);
  const block = new BlockList();
  for (const entry of list) {
    const [ip, bits] = entry.split('/');
    const type = isIPv4(ip ?? '') ? 'ipv4' : isIPv6(ip ?? '') ? 'ipv6' : undefined;
    if (!type || !ip) continue;
    if (bits === undefined) block.addAddress(ip, type);
    else block.addSubnet(ip, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    return block.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  };
}

/** Fastify's `genReqId`: the trusted proxy's valid X-Request-Id, else a fresh UUID. */
export function requestIdGenerator(
  trustProxy: boolean | number | string | string[] | undefined,
): (req: IncomingMessage) => string {
  const trusted = trustedPeer(trustProxy);
  if (trustProxy === undefined || trustProxy === false) return () => randomUUID();
  return (req) => {
    const incoming = req.headers['x-request-id'];
    if (typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) && trusted(req.socket?.remoteAddress))
      return incoming;
    return randomUUID();
  };
}
