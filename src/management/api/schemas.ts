/**
 * JSON Schemas of the management API (`/admin/api/v1/`): Fastify validates requests and
 * serialises answers with them, and /openapi.json publishes the same objects (components), so
 * the reference cannot drift from the code. Request bodies refuse unknown fields
 * (`additionalProperties: false`, with a validator that reports rather than removes them).
 */
import { PUBLISHABLE_TOPICS, TOPIC_NAMES } from '../../messages/topics.js';

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const strOrNull: Schema = { type: ['string', 'null'] };
const time: Schema = { type: 'string', format: 'date-time' };
const timeOrNull: Schema = { type: ['string', 'null'], format: 'date-time' };
const intOrNull: Schema = { type: ['integer', 'null'], minimum: 1 };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

export const APP_STATUS_VALUES = ['testing', 'submitted', 'live', 'suspended'] as const;
/** The statuses an operator sets through the API (`submitted` is the developer's "please review"). */
export const SETTABLE_APP_STATUS = ['testing', 'live', 'suspended'] as const;

const callbacks: Schema = {
  type: 'array',
  minItems: 1,
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: 2000 },
};
const scopes: Schema = {
  type: 'array',
  minItems: 1,
  maxItems: 50,
  items: { type: 'string', minLength: 1, maxLength: 100 },
};
const permissions: Schema = {
  type: ['array', 'null'],
  maxItems: 100,
  items: { type: 'string', minLength: 1, maxLength: 100 },
  description: 'permission packages (`*`, `read`, `orders`, `orders.read`, …); null: every method',
};

const requireSubscription: Schema = {
  type: 'boolean',
  description: 'sellers need an active subscription (docs/adr/0140)',
};
const purchaseUrl: Schema = {
  type: ['string', 'null'],
  maxLength: 2000,
  description: 'an absolute http(s) URL where sellers buy a subscription; null: none',
};
const subscriptionId: Schema = { type: 'string', description: 'the subscription (`sub_…`)' };

export const schemas = {
  Error: {
    type: 'object',
    required: ['error', 'message'],
    properties: {
      error: {
        type: 'string',
        enum: [
          'invalid_request',
          'unauthorized',
          'forbidden',
          'not_found',
          'method_not_allowed',
          'conflict',
          'server_error',
          'temporarily_unavailable',
        ],
      },
      message: str,
    },
  },
  App: obj({
    app_key: str,
    name: str,
    status: { type: 'string', enum: [...APP_STATUS_VALUES] },
    callbacks: { type: 'array', items: str },
    scopes: { type: 'array', items: str },
    permissions: { type: ['array', 'null'], items: str, description: 'permission packages; null: every method' },
    quota_per_day: { type: ['integer', 'null'], description: 'calls per GMT+8 day; null: the server default' },
    quota_per_second: { type: ['integer', 'null'], description: 'calls per second; null: the server default' },
    receiver_quota_per_day: {
      type: ['integer', 'null'],
      description: 'order receivers the app may decrypt per GMT+8 day (orders.receiver.get); null: the server default',
    },
    webhook_url: strOrNull,
    topics: {
      type: 'array',
      items: str,
      description: 'message service topics the app subscribed to (docs/gateway.md#message-service)',
    },
    description: strOrNull,
    logo_url: strOrNull,
    developer_id: { type: ['string', 'null'], description: 'the developer console account that owns the app' },
    created_at: time,
    previous_secret_expires_at: { ...timeOrNull, description: 'while the secret before the last rotation still works' },
    require_subscription: {
      type: 'boolean',
      description: 'sellers need an active subscription to authorize the app; its tokens end with it (docs/adr/0140)',
    },
    purchase_url: {
      type: ['string', 'null'],
      description: 'where sellers buy a subscription, linked from the authorize page of a seller without one',
    },
  }),
  AppCreate: obj(
    {
      name: { type: 'string', minLength: 1, maxLength: 100 },
      callbacks,
      status: { type: 'string', enum: [...SETTABLE_APP_STATUS] },
      scopes,
      require_subscription: requireSubscription,
      purchase_url: purchaseUrl,
    },
    ['name', 'callbacks'],
  ),
  AppUpdate: {
    ...obj(
      {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        callbacks,
        status: { type: 'string', enum: [...SETTABLE_APP_STATUS] },
        scopes,
        permissions,
        quota_per_day: intOrNull,
        quota_per_second: intOrNull,
        receiver_quota_per_day: intOrNull,
        webhook_url: { type: ['string', 'null'], maxLength: 2000 },
        require_subscription: requireSubscription,
        purchase_url: purchaseUrl,
        topics: {
          type: 'array',
          maxItems: 50,
          items: { type: 'string', enum: [...TOPIC_NAMES] },
          description: 'the full list of message service topics the app subscribes to ([] for none)',
        },
      },
      [],
    ),
    minProperties: 1,
  },
  SecretRotation: obj(
    {
      overlap_hours: {
        type: 'integer',
        minimum: 0,
        maximum: 168,
        description: 'how long the old secret keeps working (default 24; 0 stops it at once)',
      },
    },
    [],
  ),
  Seller: obj({
    seller_id: str,
    username: str,
    disabled: { type: 'boolean' },
    disabled_at: timeOrNull,
    created_at: time,
    stores: { type: 'array', items: obj({ store_id: str, name: str }) },
  }),
  SellerCreate: obj(
    {
      username: { type: 'string', minLength: 3, maxLength: 64 },
      password: {
        type: 'string',
        minLength: 8,
        maxLength: 200,
        description: 'omit to let the seller set one through a reset link',
      },
      stores: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: obj({ name: { type: 'string', minLength: 1, maxLength: 100 } }),
      },
    },
    ['username', 'stores'],
  ),
  SellerUpdate: {
    ...obj(
      {
        disabled: { type: 'boolean', description: 'a disabled seller cannot sign in and is signed out at once' },
        stores: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          description:
            "the seller's stores: every current one by store_id (to keep or rename it), new ones by name only; stores are never removed",
          items: obj({ store_id: str, name: { type: 'string', minLength: 1, maxLength: 100 } }, ['name']),
        },
      },
      [],
    ),
    minProperties: 1,
  },
  PasswordResetRequest: obj(
    { ttl_hours: { type: 'integer', minimum: 1, maximum: 168, description: 'how long the link works (default 24)' } },
    [],
  ),
  PasswordReset: obj({
    seller_id: str,
    username: str,
    reset_url: {
      type: 'string',
      description: 'give it to the seller over a channel you trust; shown only in this answer, works once',
    },
    expires_at: time,
  }),
  Grant: obj({
    grant_id: str,
    app_key: str,
    seller_id: str,
    store_id: { type: 'string', description: 'the first store of the grant' },
    store_ids: { type: 'array', items: str, description: 'every store the grant covers (docs/adr/0135)' },
    scope: str,
    status: { type: 'string', enum: ['live', 'revoked'] },
    created_at: time,
    revoked_at: timeOrNull,
    revoked_reason: strOrNull,
  }),
  AuditEntry: obj({
    id: str,
    at: time,
    action: { type: 'string', description: 'what happened (`app.updated`, `grant.revoked`, `operator_token.used`, …)' },
    actor: {
      type: ['string', 'null'],
      description: 'who (`cli`, `token:<name>`, `operator:<username>`, `seller:<id>`, …)',
    },
    app_key: strOrNull,
    seller_id: strOrNull,
    subject: strOrNull,
    detail: { type: ['object', 'null'], additionalProperties: true },
  }),
  Subscription: obj({
    subscription_id: subscriptionId,
    app_key: str,
    seller_id: str,
    plan: strOrNull,
    status: {
      type: 'string',
      enum: ['active', 'expired', 'cancelled'],
      description: '`active` until `expires_at`, unless cancelled',
    },
    created_at: time,
    updated_at: time,
    expires_at: time,
    cancelled_at: timeOrNull,
  }),
  SubscriptionCreate: obj(
    {
      app_key: { type: 'string', minLength: 1, maxLength: 64 },
      seller_id: { type: 'string', minLength: 1, maxLength: 20 },
      expires_at: {
        type: 'string',
        minLength: 1,
        maxLength: 40,
        description:
          'an ISO 8601 time with a zone (`2027-01-01T00:00:00Z`, `2027-01-01T08:00:00+08:00`), in the future',
      },
      plan: {
        type: 'string',
        minLength: 1,
        maxLength: 100,
        description: 'the plan sold, as the service market names it',
      },
    },
    ['app_key', 'seller_id', 'expires_at'],
  ),
  SubscriptionRenewal: obj({
    expires_at: {
      type: 'string',
      minLength: 1,
      maxLength: 40,
      description:
        'the new end, an ISO 8601 time with a zone; an earlier one shortens the subscription (tokens are capped at once)',
    },
  }),
  EventBatch: obj({
    events: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: obj(
        {
          topic: { type: 'string', enum: [...PUBLISHABLE_TOPICS], description: 'docs/gateway.md#topics' },
          seller_id: { type: ['string', 'integer'], description: "the seller's id" },
          store_id: {
            type: ['string', 'integer'],
            description: 'one of the seller’s stores, by the id ISVs see (docs/adr/0125)',
          },
          data: {
            type: 'object',
            additionalProperties: true,
            description: 'the event’s body, delivered as is (at most 64 KiB of JSON)',
          },
        },
        ['topic', 'seller_id', 'store_id', 'data'],
      ),
    },
  }),
  Published: obj({
    event_ids: { type: 'array', items: str, description: 'one per event, in the order sent' },
    recipients: { type: 'array', items: { type: 'integer' }, description: 'how many apps each event reached' },
  }),
  OperatorToken: obj({
    token_id: str,
    name: str,
    read_only: { type: 'boolean' },
    created_at: time,
    created_by: strOrNull,
    last_used_at: timeOrNull,
    revoked_at: timeOrNull,
  }),
  OperatorTotpReset: obj({
    operator_id: { type: 'integer' },
    username: str,
    was_enrolled: { type: 'boolean', description: 'whether an authenticator had been set up (false: none to reset)' },
  }),
} satisfies Record<string, Schema>;

export type SchemaName = keyof typeof schemas;

/** A list answer: `{ items, next_cursor }`. */
export const listOf = (item: SchemaName): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: schemas[item] },
    next_cursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last page' },
  },
});

/** The query of a list: `limit` (1–200, default 50) and `cursor`, plus its filters. */
export const listQuery = (filters: Record<string, Schema>): Schema => ({
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, cursor: str, ...filters },
});

export const appWithSecret: Schema = {
  ...schemas.App,
  required: [...(schemas.App.required as string[]), 'app_secret'],
  properties: {
    ...(schemas.App.properties as Record<string, Schema>),
    app_secret: { type: 'string', description: 'shown once; stored only as a keyed hash' },
  },
};

export const rotatedSecret: Schema = obj({
  app_key: str,
  app_secret: { type: 'string', description: 'shown once' },
  previous_secret_expires_at: timeOrNull,
});
