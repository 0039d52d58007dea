import { publicStoreId } from '../../sellers/store-id.js';
import { formatGmt8 } from '../sign.js';
import { GATEWAY_CODES, GatewayError } from '../errors.js';
import type { StoreSettings } from '../../storage/gateway-ports.js';
import { arg } from './args.js';
import { defineMethod, schema, type MethodCall } from './method.js';
import { STORE_ID_SCHEMA } from '../../profiles/response-schema.js';
import { storesOf } from '../../storage/ports.js';

/** Settings of a store nobody has configured yet. */
export const DEFAULT_STORE_SETTINGS: StoreSettings = {
  description: '',
  customerServicePhone: '',
  shipFromAddress: '',
  returnAddress: '',
  autoConfirmDays: 10,
  invoiceEnabled: false,
};

/** A store with its settings, as `store.get` and `store.settings.update` answer. */
const STORE_ANSWER = schema.object({
  store: schema.object(
    {
      store_id: STORE_ID_SCHEMA,
      seller_id: schema.integer,
      name: schema.string(),
      settings: schema.object({
        description: schema.string(),
        customer_service_phone: schema.string(),
        ship_from_address: schema.string(),
        return_address: schema.string(),
        auto_confirm_days: schema.integer,
        invoice_enabled: schema.boolean,
      }),
      modified: { ...schema.time, type: ['string', 'null'] },
    },
    'Store',
  ),
});

async function renderStore(call: MethodCall): Promise<Record<string, unknown>> {
  const store = await call.core.storage.sellers.store(call.storeId);
  if (!store)
    throw new GatewayError(
      GATEWAY_CODES.invalidSession,
      'isv.store-not-exist',
      'the store of this token no longer exists',
    );
  const rec = await call.gateway.data.storeSettings(call.storeId);
  const s = rec?.settings ?? DEFAULT_STORE_SETTINGS;
  return {
    store: {
      store_id: publicStoreId(store),
      seller_id: store.sellerId,
      name: store.name,
      settings: {
        description: s.description,
        customer_service_phone: s.customerServicePhone,
        ship_from_address: s.shipFromAddress,
        return_address: s.returnAddress,
        auto_confirm_days: s.autoConfirmDays,
        invoice_enabled: s.invoiceEnabled,
      },
      modified: rec ? formatGmt8(rec.updatedAt) : null,
    },
  };
}

/**
 * `<prefix>.stores.list` and `GET /api/v1/stores`: the stores the token's grant covers, in the
 * order the seller added them — the values `store_id` takes on every store-scoped call.
 */
export const storesListMethod = defineMethod({
  name: 'stores.list',
  summary: 'The stores the token covers (`store_id`, `name`), the values `store_id` takes on every other call',
  summaryZh: '令牌覆盖的店铺（`store_id`、`name`），即其他所有调用中 `store_id` 可取的值',
  permission: 'store.read',
  needsSession: true,
  storeScoped: false,
  rest: { method: 'GET', path: '/api/v1/stores' },
  args: {},
  answer: schema.object({ stores: schema.array(schema.object({ store_id: STORE_ID_SCHEMA, name: schema.string() })) }),
  async run(call) {
    const grant = call.token?.grant;
    if (!grant) return { stores: [] };
    const named = new Map((await call.core.storage.sellers.stores(grant.sellerId)).map((s) => [s.storeId, s]));
    // A store deleted (or detached by the platform) since the grant is left out (calls naming it are refused anyway).
    // `store_id` as the ISV names the store: the platform's own id for its stores (docs/adr/0125).
    return {
      stores: storesOf(grant).flatMap((id) => {
        const s = named.get(id);
        return s ? [{ store_id: publicStoreId(s), name: s.name }] : [];
      }),
    };
  },
});

/** `<prefix>.store.get`: the store the call names (`store_id`, or the grant's only store), with its settings. */
export const storeGetMethod = defineMethod({
  name: 'store.get',
  summary: 'A store the token covers, with its settings',
  summaryZh: '令牌覆盖的一个店铺及其设置',
  permission: 'store.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/store/settings' },
  args: {},
  answer: STORE_ANSWER,
  run: renderStore,
});

const SETTINGS = [
  'description',
  'customer_service_phone',
  'ship_from_address',
  'return_address',
  'auto_confirm_days',
  'invoice_enabled',
];

/** `<prefix>.store.settings.update`: change some store settings (the others keep their value). */
export const storeSettingsUpdateMethod = defineMethod({
  name: 'store.settings.update',
  summary: 'Change some store settings (the others keep their value; at least one)',
  summaryZh: '修改部分店铺设置（未传的保持原值，至少传一项）',
  permission: 'store.write',
  needsSession: true,
  rest: { method: 'PATCH', path: '/api/v1/store/settings' },
  args: {
    customer_service_phone: arg.text('digits, +, - and spaces', {
      max: 30,
      pattern: { re: /^[0-9+\- ]{5,30}$/, why: 'must be a phone number (digits, +, -, spaces)' },
    }),
    description: arg.text('store description', { max: 500 }),
    ship_from_address: arg.text('where parcels leave from', { max: 200 }),
    return_address: arg.text('where returns go', { max: 200 }),
    auto_confirm_days: arg.whole('days until receipt is confirmed automatically', { min: 1, max: 30 }),
    invoice_enabled: arg.bool('whether the store issues invoices'),
  },
  answer: STORE_ANSWER,
  async run(call, a) {
    const current = (await call.gateway.data.storeSettings(call.storeId))?.settings ?? DEFAULT_STORE_SETTINGS;
    const next: StoreSettings = {
      description: a.description ?? current.description,
      customerServicePhone: a.customer_service_phone ?? current.customerServicePhone,
      shipFromAddress: a.ship_from_address ?? current.shipFromAddress,
      returnAddress: a.return_address ?? current.returnAddress,
      autoConfirmDays: a.auto_confirm_days ?? current.autoConfirmDays,
      invoiceEnabled: a.invoice_enabled ?? current.invoiceEnabled,
    };
    if (!SETTINGS.some((k) => (call.args.get(k) ?? '') !== ''))
      throw new GatewayError(
        GATEWAY_CODES.missingArguments,
        'isv.missing-parameter:settings',
        `give at least one of ${SETTINGS.join(', ')}`,
      );
    await call.gateway.data.saveStoreSettings({ storeId: call.storeId, settings: next, updatedAt: call.now });
    return renderStore(call);
  },
});
