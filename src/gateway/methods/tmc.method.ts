import { GATEWAY_CODES, GatewayError, invalidArgument, missingArgument } from '../errors.js';
import { arg } from './args.js';
import { defineMethod, schema, type MethodCall } from './method.js';
import { MAX_PULL, MAX_WAIT_SECONDS, type MessageService } from '../../messages/service.js';

function service(call: MethodCall): MessageService {
  if (!call.messages)
    throw new GatewayError(
      GATEWAY_CODES.remoteServiceError,
      'isp.service-unavailable',
      'the message service is not running on this server',
    );
  return call.messages;
}

/** A whole number from `min` to `max`, `dflt` when absent (the message service's own wording). */
function whole(description: string, min: number, max: number, dflt: number) {
  return arg.custom(
    description,
    { type: 'integer', minimum: min, maximum: max, default: dflt },
    (raw, name) => {
      if (raw === undefined || raw === '') return dflt;
      if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max)
        throw invalidArgument(name, `must be a whole number from ${min} to ${max}, got "${raw.slice(0, 20)}"`);
      return Number(raw);
    },
    { hint: `${min}–${max}` },
  );
}

/** `{"messages":[…]}`: the message schema is the API reference's `Message` (src/server/openapi/openapi.ts). */
const MESSAGES_ANSWER = schema.object({ messages: schema.array({ $ref: '#/components/schemas/Message' }) });

/**
 * `<prefix>.tmc.messages.consume`: the pull API of the message service on the signed router
 * (issue 16 §2; TOP's name). Arguments `max` (1–100, default 100) and `wait` (long poll,
 * seconds, 0–20, default 0). Answers `{"messages":[{"id","topic","seller_id","store_id","created_at","data"}]}`.
 */
export const tmcMessagesConsumeMethod = defineMethod({
  name: 'tmc.messages.consume',
  summary:
    'Message service: take up to `max` messages of the app (no session; the same queue as GET /api/v1/messages); answers `messages`, acknowledge them with tmc.messages.confirm',
  summaryZh:
    '消息服务：取应用最多 `max` 条消息（无需 session，与 GET /api/v1/messages 是同一队列），返回 `messages`，用 tmc.messages.confirm 确认',
  permission: '',
  needsSession: false,
  args: {
    max: whole('at most this many messages', 1, MAX_PULL, MAX_PULL),
    wait: whole('long poll: wait up to this many seconds for a message', 0, MAX_WAIT_SECONDS, 0),
  },
  answer: MESSAGES_ANSWER,
  async run(call, a) {
    const items = await service(call).receive(call.app.appKey, a.max, a.wait * 1000);
    return { messages: JSON.parse(`[${items.join(',')}]`) as unknown[] };
  },
});

/**
 * `<prefix>.tmc.messages.confirm`: acknowledge messages (`ids`, comma-separated, at most 1000).
 * Answers `{"acknowledged": n}` (ids already acknowledged or not this app's count 0).
 */
export const tmcMessagesConfirmMethod = defineMethod({
  name: 'tmc.messages.confirm',
  summary: 'Message service: acknowledge messages (no session); answers `acknowledged`, how many were acknowledged now',
  summaryZh: '消息服务：确认消息（无需 session），返回 `acknowledged`，即本次确认的条数',
  permission: '',
  needsSession: false,
  args: {
    ids: arg.custom(
      'message ids, comma-separated',
      { type: 'string' },
      (raw, name) => {
        if (raw === undefined || raw === '') throw missingArgument(name);
        const ids = raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        if (ids.length === 0 || ids.length > 1000)
          throw invalidArgument(name, 'must list 1 to 1000 message ids, comma-separated');
        return ids;
      },
      { required: true, hint: '1–1000 ids' },
    ),
  },
  answer: schema.object({ acknowledged: { type: 'integer', description: 'how many were acknowledged now' } }),
  async run(call, a) {
    return { acknowledged: await service(call).ack(call.app.appKey, a.ids) };
  },
});
