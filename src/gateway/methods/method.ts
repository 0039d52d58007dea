import type { CoreContext } from '../../core/context.js';
import type { AppRecord, LimitStore, TokenWithGrant } from '../../storage/ports.js';
import type { Profile } from '../../profiles/profile.js';
import type { GatewayStorage } from '../../storage/gateway-ports.js';
import { arg, parseArgs, type ArgSpec, type ArgsSpec, type JsonSchema, type Parsed } from './args.js';

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
  /** The success status (default 200; 201 for a create). */
  status?: 200 | 201;
}

/**
 * One API method, named without the profile prefix (e.g. `orders.list`), declared once
 * (docs/adr/0166): its arguments and answer schema drive parsing, the router, REST,
 * `/openapi.json` and docs/gateway.md's method table. Write new methods with `defineMethod`.
 */
export interface GatewayMethod {
  name: string;
  /** One line for the API reference and the docs table. */
  summary: string;
  /** The same line in Chinese, for `/docs?lang=zh-CN` (test/docs-zh.test.ts fails for a method without one). */
  summaryZh?: string;
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
  /** The method's own arguments in parsing order (`store_id` is added by `argsOf`). */
  args: ArgsSpec;
  /** JSON Schema of the answer (without `request_id`); a function when the profile shapes it. */
  answer: JsonSchema | ((profile: Profile) => JsonSchema);
  /** Parse the arguments and run (`defineMethod` builds it). */
  handle(call: MethodCall): Promise<Record<string, unknown>>;
}

/** Declare a method: `run` gets the arguments parsed by `args` (refusals: codes 40/41). */
export function defineMethod<S extends ArgsSpec>(
  m: Omit<GatewayMethod, 'args' | 'handle'> & {
    args: S;
    run(call: MethodCall, args: Parsed<S>): Promise<Record<string, unknown>>;
  },
): GatewayMethod {
  const { run, ...declared } = m;
  return { ...declared, handle: (call) => run(call, parseArgs(m.args, call.args)) };
}

/** Every store-scoped method's `store_id` (docs/adr/0135), parsed by the gateway (`resolveStore`), not the method. */
export const STORE_ID_ARG: ArgSpec<string | undefined> = arg.raw(
  'the store to act on, one of the token’s (`GET /api/v1/stores`), as listed there: Shouquan’s number for a built-in store, the platform’s own id for a store from its account system (`serve --seller-directory`); may be left out when the token covers one store, required when it covers several',
);

/** A method's documented arguments: its own, then `store_id` for methods that act on one store of the grant. */
export function argsOf(m: Pick<GatewayMethod, 'args' | 'needsSession' | 'storeScoped'>): ArgsSpec {
  return m.needsSession && m.storeScoped !== false ? { ...m.args, store_id: STORE_ID_ARG } : m.args;
}

/** The answer schema of a method under a profile. */
export function answerOf(m: Pick<GatewayMethod, 'answer'>, profile: Profile): JsonSchema {
  return typeof m.answer === 'function' ? m.answer(profile) : m.answer;
}

/** JSON Schema helpers for answers. */
export const schema = {
  object: (properties: Record<string, JsonSchema>, title?: string): JsonSchema => ({
    type: 'object',
    ...(title !== undefined && { title }),
    required: Object.keys(properties),
    properties,
  }),
  string: (description?: string): JsonSchema => ({ type: 'string', ...(description !== undefined && { description }) }),
  nullableString: (description?: string): JsonSchema => ({
    type: ['string', 'null'],
    ...(description !== undefined && { description }),
  }),
  integer: { type: 'integer' } as JsonSchema,
  boolean: { type: 'boolean' } as JsonSchema,
  array: (items: JsonSchema): JsonSchema => ({ type: 'array', items }),
  /** A list answer: the page fields, then the items under `key`. */
  page: (key: string, item: JsonSchema): JsonSchema =>
    schema.object({
      total_results: schema.integer,
      page_no: schema.integer,
      page_size: schema.integer,
      has_next: schema.boolean,
      [key]: schema.array(item),
    }),
  /** A time as the gateway writes it (`yyyy-MM-dd HH:mm:ss`, GMT+8). */
  time: { type: 'string', description: '`yyyy-MM-dd HH:mm:ss`, GMT+8' } as JsonSchema,
  /** An amount in yuan with two decimals. */
  yuan: { type: 'string', description: 'yuan, two decimals (`12.50`)' } as JsonSchema,
};

/** The permission a method name implies when no method declares one (upstream-only methods). */
export function impliedPermission(name: string): string {
  const parts = name.split('.');
  const verb = parts[parts.length - 1] ?? '';
  const read = ['get', 'list', 'search', 'query', 'count'].includes(verb);
  return `${parts[0] ?? ''}.${read ? 'read' : 'write'}`;
}

/**
 * A write the gateway makes itself and the events it publishes (issue 16 §2: `orders.ship` →
 * `trade.shipped`, products → `item.*`), all or nothing: on the database queue one transaction,
 * so a failed publish rolls the write back and fails the call (docs/adr/0145, "Own writes"); with
 * NATS JetStream that transaction queues them in the database as an outbox, forwarded to JetStream
 * after the commit (docs/adr/0180). Without the message service, only the write.
 */
export async function writeAndPublish<T>(
  call: MethodCall,
  write: (data: GatewayStorage['data']) => Promise<T>,
  events: (result: T) => Array<{ topic: string; data: Record<string, unknown> }>,
): Promise<T> {
  if (!call.messages) return write(call.gateway.data);
  return call.messages.writeAndPublish(call.gateway, call.sellerId, call.storeId, (gw) => write(gw.data), events);
}
