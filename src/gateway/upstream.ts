import { GATEWAY_CODES, GatewayError } from './errors.js';
import { tracedFetch } from '../tracing/tracing.js';
import type { Args } from './methods/method.js';

/** The verified identity the gateway vouches for when forwarding a call. */
export interface UpstreamIdentity {
  method: string;
  appKey: string;
  sellerId: number;
  /** The store id ISVs see: the platform's own (a string) for a store from its account system (docs/adr/0125). */
  storeId: number | string;
  scope: string[];
  requestId: string;
}

/**
 * Forward a verified call to the operator's service: POST the method arguments as JSON, with
 * the verified seller, store, app and scope in `X-Shouquan-*` headers; the answer's JSON
 * object becomes the method's response. The service must accept these headers only from the
 * gateway (docs/gateway.md).
 */
export async function forwardUpstream(
  url: string,
  identity: UpstreamIdentity,
  args: Args,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await tracedFetch(
      `upstream ${identity.method}`,
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          accept: 'application/json',
          'x-shouquan-method': identity.method,
          'x-shouquan-app-key': identity.appKey,
          'x-shouquan-seller-id': String(identity.sellerId),
          'x-shouquan-store-id': String(identity.storeId),
          'x-shouquan-scope': identity.scope.join(' '),
          'x-request-id': identity.requestId,
        },
        body: JSON.stringify(Object.fromEntries(args)),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      },
      { 'shouquan.method': identity.method, 'shouquan.app_key': identity.appKey },
    );
  } catch (e) {
    throw new GatewayError(
      GATEWAY_CODES.remoteServiceError,
      'isp.remote-service-unavailable',
      `the service behind ${identity.method} did not answer (${(e as Error).name})`,
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok)
    throw new GatewayError(
      GATEWAY_CODES.remoteServiceError,
      'isp.remote-service-error',
      `the service behind ${identity.method} answered HTTP ${res.status}`,
    );
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError(
      GATEWAY_CODES.remoteServiceError,
      'isp.remote-service-error',
      `the service behind ${identity.method} did not answer with a JSON object`,
    );
  }
  return body as Record<string, unknown>;
}
