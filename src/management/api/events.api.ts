import type { HttpContext } from '../../server/http-context.js';
import { MAX_PUBLISH_BATCH, PublishError, type PublishInput } from '../../messages/service.js';
import { PUBLISHABLE_TOPICS } from '../../messages/topics.js';
import { ManagementError } from '../management-error.js';
import type { ManagementRoute } from './management-api.js';
import { schemas } from './schemas.js';

/** `/events`: the operator's systems publish business events to the message service (issue 16 §2). */
export function eventRoutes(ctx: HttpContext): ManagementRoute[] {
  return [
    {
      method: 'POST',
      url: '/events',
      tag: 'Management: events',
      summary: 'Publish events (a batch of up to 1,000) to the apps entitled to them',
      description:
        `Topics: ${PUBLISHABLE_TOPICS.join(', ')}. An event reaches every app that subscribed to its topic, holds a live grant of the seller covering the store, and was granted the topic's permission package; nobody else. ` +
        'The answer comes once every event and its per-app queue entries are durable, in one transaction: all or nothing. `event_ids` are in the order sent.',
      body: schemas.EventBatch,
      // 1,000 events of a few hundred bytes each; each `data` is at most 64 KiB.
      bodyLimit: 16 * 1024 * 1024,
      success: { 201: schemas.Published },
      handler: async (request, reply, actor) => {
        const messages = ctx.messages;
        if (!messages)
          throw new ManagementError(404, 'not_found', 'this server has no message service (no gateway tables)');
        const events = (request.body as { events: PublishInput[] }).events;
        try {
          const done = await messages.publish(events);
          request.log.info({ actor: actor.name, events: done.length }, 'events published through the management API');
          return reply
            .code(201)
            .send({ event_ids: done.map((d) => d.eventId), recipients: done.map((d) => d.recipients) });
        } catch (e) {
          if (e instanceof PublishError)
            throw new ManagementError(400, 'invalid_request', `events[${e.index}]: ${e.message}`);
          throw e;
        }
      },
    },
  ];
}

export { MAX_PUBLISH_BATCH };
