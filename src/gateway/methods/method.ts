import type { CoreContext } from '../../core/context.js';
import type { AppRecord, TokenWithGrant } from '../../storage/ports.js';
import type { GatewayStorage } from '../ports.js';

/** Method arguments as received (one value per name; the edge refuses repeats). */
export type Args = Map<string, string>;

/** A verified call: the app, and for seller methods the token and the one store it may see. */
export interface MethodCall {
  core: CoreContext;
  gateway: GatewayStorage;
  app: AppRecord;
  /** Present for methods that need the seller's token. */
  token?: TokenWithGrant;
  /** The store the token was granted for (0 for app-only methods). */
  storeId: number;
  sellerId: number;
  args: Args;
  now: number;
}

/** How the REST face exposes a method (path params join the arguments). */
export interface RestBinding {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
}

/** One API method, named without the profile prefix (e.g. `orders.list`). */
export interface GatewayMethod {
  name: string;
  /** `package.read` or `package.write`; empty for methods without a seller token. */
  permission: string;
  /** Needs `session` (the seller's access token). */
  needsSession: boolean;
  rest?: RestBinding;
  handle(call: MethodCall): Promise<Record<string, unknown>>;
}

/** The permission a method name implies when no method declares one (upstream-only methods). */
export function impliedPermission(name: string): string {
  const parts = name.split('.');
  const verb = parts[parts.length - 1] ?? '';
  const read = ['get', 'list', 'search', 'query', 'count'].includes(verb);
  return `${parts[0] ?? ''}.${read ? 'read' : 'write'}`;
}
