/**
 * `shouquan event publish|sample`: the message service from the command line
 * (issue 16 §2, docs/gateway.md#message-service).
 */
import { getProfile } from '../profiles/registry.js';
import { MessageService, PublishError } from '../messages/service.js';
import { PUBLISHABLE_TOPICS } from '../messages/topics.js';
import type { Storage } from '../storage/ports.js';
import { withMessageBroker } from '../runtime.js';
import { parseMessageBroker } from '../config.js';
import {
  DATABASE_HELP,
  databaseFlag,
  optional,
  parseFlags,
  required,
  UsageError,
  withStorage,
  type Out,
} from './cli-kit.js';

export const EVENT_HELP: Record<string, string> = {
  'event publish': `Usage: shouquan event publish --topic T --seller-id S --store-id X --data JSON [--profile P] [--database URL] [--json]

Publish one business event (POST /admin/api/v1/events publishes batches). It reaches every app
that subscribed to the topic, holds a live grant of the seller covering the store and was
granted the topic's permission package; nobody else. Printed once it is durable.
  --topic T          ${PUBLISHABLE_TOPICS.join(', ')}
  --seller-id S      the seller
  --store-id X       one of the seller's stores (the id ISVs see)
  --data JSON        the event's body, a JSON object (default {})
  --profile P        the platform profile serve runs with (env SHOUQUAN_PROFILE; default standard):
                     it maps the seller's granted scopes to permission packages
  --message-broker URL  nats://HOST:PORT[?stream=NAME] when serve keeps the queues in NATS
                     JetStream (env SHOUQUAN_MESSAGE_BROKER)
${DATABASE_HELP}
  --json             print {"event_id","recipients"}`,
  'event sample': `Usage: shouquan event sample --app-key K [--profile P] [--database URL] [--json]

Sandbox: inject realistic sample events of every topic the app subscribed to, for each store of
its live grants (the developer's sandbox sellers), to this app only, where it is entitled to them.
  --app-key K        the app
  --profile P        as for event publish
  --message-broker URL  as for event publish
${DATABASE_HELP}
  --json             print {"event_ids":[…]}`,
};

export const EVENT_SUBCOMMANDS = new Set(['publish', 'sample']);

/** `--message-broker` (env SHOUQUAN_MESSAGE_BROKER): publish into NATS JetStream's queues, as serve does. */
async function withBroker<T>(
  storage: Storage,
  values: Record<string, unknown>,
  fn: (storage: Storage) => Promise<T>,
): Promise<T> {
  let broker: string | undefined;
  try {
    const flag = typeof values['message-broker'] === 'string' ? values['message-broker'] : undefined;
    broker = parseMessageBroker(flag ?? (process.env.SHOUQUAN_MESSAGE_BROKER || undefined));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (broker === undefined) return fn(storage);
  const s = await withMessageBroker(storage, broker, 3 * 86_400_000);
  try {
    return await fn(s);
  } finally {
    await s.gateway?.messages.close();
  }
}

function serviceFor(storage: Storage, profile: string | undefined): MessageService {
  let p;
  try {
    p = getProfile(profile ?? (process.env.SHOUQUAN_PROFILE || 'standard'));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return new MessageService({ storage, profile: p, now: () => Date.now() });
}

/** Run `shouquan event <sub>`; returns the exit code. */
export async function eventCommand(sub: string, args: string[], out: Out): Promise<number> {
  const command = `event ${sub}`;
  if (sub === 'publish') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        topic: { type: 'string' },
        'seller-id': { type: 'string' },
        'store-id': { type: 'string' },
        data: { type: 'string' },
        profile: { type: 'string' },
        'message-broker': { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(EVENT_HELP[command]!), 0);
    const topic = required(values, 'topic');
    const sellerId = required(values, 'seller-id');
    const storeId = required(values, 'store-id');
    let data: unknown = {};
    const raw = optional(values, 'data');
    if (raw !== undefined) {
      try {
        data = JSON.parse(raw);
      } catch {
        throw new UsageError('--data must be a JSON object, e.g. \'{"order_id":1001}\'');
      }
    }
    return withStorage(values.database, (opened) =>
      withBroker(opened, values, async (storage) => {
        try {
          const [done] = await serviceFor(storage, optional(values, 'profile')).publish([
            { topic, seller_id: sellerId, store_id: storeId, data },
          ]);
          if (values.json) out.log(JSON.stringify({ event_id: done!.eventId, recipients: done!.recipients }));
          else out.log(`event ${done!.eventId} published to ${done!.recipients} app(s)`);
          return 0;
        } catch (e) {
          if (e instanceof PublishError) throw new UsageError(e.message);
          throw e;
        }
      }),
    );
  }
  if (sub === 'sample') {
    const values = parseFlags(
      args,
      {
        ...databaseFlag,
        'app-key': { type: 'string' },
        profile: { type: 'string' },
        'message-broker': { type: 'string' },
      },
      command,
    );
    if (values.help) return (out.log(EVENT_HELP[command]!), 0);
    const appKey = required(values, 'app-key');
    return withStorage(values.database, (opened) =>
      withBroker(opened, values, async (storage) => {
        if (!(await storage.apps.find(appKey))) throw new Error(`no app with app_key ${appKey}`);
        const done = await serviceFor(storage, optional(values, 'profile')).sample(appKey);
        if (values.json) out.log(JSON.stringify({ event_ids: done.map((d) => d.eventId) }));
        else
          out.log(
            done.length === 0
              ? 'no sample events: the app subscribed to no topics, or holds no live grant entitled to them'
              : `${done.length} sample event(s) published to ${appKey}`,
          );
        return 0;
      }),
    );
  }
  throw new UsageError(`unknown command "event ${sub}" (try "shouquan event --help")`);
}
