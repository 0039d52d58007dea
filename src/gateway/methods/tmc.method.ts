import { GATEWAY_CODES, GatewayError, invalidArgument, missingArgument } from '../errors.js';
import type { GatewayMethod, MethodCall } from './method.js';
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

function whole(call: MethodCall, name: string, min: number, max: number, dflt: number): number {
  const raw = call.args.get(name);
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw invalidArgument(name, `must be a whole number from ${min} to ${max}, got "${raw.slice(0, 20)}"`);
  return Number(raw);
}

/**
 * `<prefix>.tmc.messages.consume`: the pull API of the message service on the signed router
 * (issue 16 §2; TOP's name). Arguments `max` (1–100, default 100) and `wait` (long poll,
 * seconds, 0–20, default 0). Answers `{"messages":[{"id","topic","seller_id","store_id","created_at","data"}]}`.
 */
export const tmcMessagesConsumeMethod: GatewayMethod = {
  name: 'tmc.messages.consume',
  permission: '',
  needsSession: false,
  async handle(call) {
    const max = whole(call, 'max', 1, MAX_PULL, MAX_PULL);
    const wait = whole(call, 'wait', 0, MAX_WAIT_SECONDS, 0);
    const items = await service(call).receive(call.app.appKey, max, wait * 1000);
    return { messages: JSON.parse(`[${items.join(',')}]`) as unknown[] };
  },
};

/**
 * `<prefix>.tmc.messages.confirm`: acknowledge messages (`ids`, comma-separated, at most 1000).
 * Answers `{"acknowledged": n}` (ids already acknowledged or not this app's count 0).
 */
export const tmcMessagesConfirmMethod: GatewayMethod = {
  name: 'tmc.messages.confirm',
  permission: '',
  needsSession: false,
  async handle(call) {
    const raw = call.args.get('ids');
    if (raw === undefined || raw === '') throw missingArgument('ids');
    const ids = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (ids.length === 0 || ids.length > 1000)
      throw invalidArgument('ids', 'must list 1 to 1000 message ids, comma-separated');
    return { acknowledged: await service(call).ack(call.app.appKey, ids) };
  },
};
