import type { CoreContext } from '../../core/context.js';
import type { AppRecord, LimitStore, TokenWithGrant } from '../../storage/ports.js';
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
  /** The store the call acts on, one of the grant's (0 for app-only methods and `storeScoped: false`). */
  storeId: number;
  sellerId: number;
  args: Args;
  now: number;
  /**
   * Decryptions of order receivers this app may make per GMT+8 day: its own setting, else the
   * gateway option `receiverQuotaPerDay` (docs/adr/0137).
   */
  receiverQuotaPerDay: number;
  /** The counters every node shares (database, or Redis with `serve --redis`; docs/adr/0110). */
  limits: LimitStore;
  /** The message service: the message methods, and the events of the gateway's own writes. */
  messages?: import('../../messages/service.js').MessageService;
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
  /**
   * Acts on one store of the grant, named by `store_id` (docs/adr/0135); default true for
   * methods that need a session. `false`: the method reads the grant itself (`stores.list`).
   */
  storeScoped?: boolean;
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

/**
 * Publish the event of a write the gateway made itself (issue 16 §2: `orders.ship` → `trade.shipped`,
 * products → `item.*`). Written after the write, not in its transaction: a failure to publish is
 * not the caller's failure (the write stands), so it is swallowed; the event is then lost.
 */
export async function publishOwnWrite(call: MethodCall, topic: string, data: Record<string, unknown>): Promise<void> {
  if (!call.messages) return;
  try {
    await call.messages.publishStoreEvent(topic, call.sellerId, call.storeId, data);
  } catch {
    // See above: the write succeeded; the caller gets its answer.
  }
}
