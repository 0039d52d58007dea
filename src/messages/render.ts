/** The JSON shapes of messages at the edge (pull answers and webhook bodies), in one place. */

export interface RenderableMessage {
  id: string;
  topic: string;
  sellerId: number;
  /** The store's public id (docs/adr/0125). */
  storeId: number | string;
  createdAt: number;
  /** JSON text. */
  data: string;
}

/**
 * One message of `GET /api/v1/messages` and `tmc.messages.consume`: `{"id","topic","seller_id",
 * "store_id","created_at","data"}`, written as text so `data` goes out exactly as published.
 */
export function messageJson(m: RenderableMessage): string {
  return `{"id":${JSON.stringify(m.id)},"topic":${JSON.stringify(m.topic)},"seller_id":${m.sellerId},"store_id":${JSON.stringify(m.storeId)},"created_at":"${new Date(m.createdAt).toISOString()}","data":${m.data}}`;
}

/** The signed webhook body of a pushed message (the authorization events' fields, plus `data`). */
export function messageWebhookBody(
  eventId: string,
  appKey: string,
  m: { topic: string; sellerId: number; storeId: number | string; createdAt: number; data: string },
): string {
  return `{"event":${JSON.stringify(m.topic)},"event_id":${JSON.stringify(eventId)},"app_key":${JSON.stringify(appKey)},"seller_id":${m.sellerId},"store_id":${JSON.stringify(m.storeId)},"occurred_at":"${new Date(m.createdAt).toISOString()}","data":${m.data}}`;
}
