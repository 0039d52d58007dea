import { publicStoreId } from '../../sellers/store-id.js';
import { formatGmt8 } from '../sign.js';
import { GATEWAY_CODES, GatewayError, invalidArgument } from '../errors.js';
import type { StoreSettings } from '../ports.js';
import { bool, text, whole } from './args.js';
import type { GatewayMethod, MethodCall } from './method.js';
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

async function renderStore(call: MethodCall): Promise<Record<string, unknown>> {
  const store = await call.core.storage.sellers.store(call.storeId);
  if (!store) throw new GatewayError(GATEWAY_CODES.invalidSession, 'isv.store-not-exist', 'the store of this token no longer exists');
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
export const storesListMethod: GatewayMethod = {
  name: 'stores.list',
  permission: 'store.read',
  needsSession: true,
  storeScoped: false,
  rest: { method: 'GET', path: '/api/v1/stores' },
  async handle(call) {
    const grant = call.token?.grant;
    if (!grant) return { stores: [] };
    const named = new Map((await call.core.storage.sellers.stores(grant.sellerId)).map((s) => [s.storeId, s]));
    // A store deleted (or detached by the platform) since the grant is left out (calls naming it are refused anyway).
    // `store_id` as the ISV names the store: the platform's own id for its stores (docs/adr/0125).
    return { stores: storesOf(grant).flatMap((id) => { const s = named.get(id); return s ? [{ store_id: publicStoreId(s), name: s.name }] : []; }) };
  },
};

/** `<prefix>.store.get`: the store the call names (`store_id`, or the grant's only store), with its settings. */
export const storeGetMethod: GatewayMethod = {
  name: 'store.get',
  permission: 'store.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/store/settings' },
  handle: renderStore,
};

/** `<prefix>.store.settings.update`: change some store settings (the others keep their value). */
export const storeSettingsUpdateMethod: GatewayMethod = {
  name: 'store.settings.update',
  permission: 'store.write',
  needsSession: true,
  rest: { method: 'PATCH', path: '/api/v1/store/settings' },
  async handle(call) {
    const current = (await call.gateway.data.storeSettings(call.storeId))?.settings ?? DEFAULT_STORE_SETTINGS;
    const a = call.args;
    const phone = text(a, 'customer_service_phone', { max: 30 });
    if (phone !== undefined && !/^[0-9+\- ]{5,30}$/.test(phone)) throw invalidArgument('customer_service_phone', 'must be a phone number (digits, +, -, spaces)');
    const next: StoreSettings = {
      description: text(a, 'description', { max: 500 }) ?? current.description,
      customerServicePhone: phone ?? current.customerServicePhone,
      shipFromAddress: text(a, 'ship_from_address', { max: 200 }) ?? current.shipFromAddress,
      returnAddress: text(a, 'return_address', { max: 200 }) ?? current.returnAddress,
      autoConfirmDays: whole(a, 'auto_confirm_days', { min: 1, max: 30 }) ?? current.autoConfirmDays,
      invoiceEnabled: bool(a, 'invoice_enabled') ?? current.invoiceEnabled,
    };
    const known = ['description', 'customer_service_phone', 'ship_from_address', 'return_address', 'auto_confirm_days', 'invoice_enabled'];
    if (!known.some((k) => (a.get(k) ?? '') !== '')) throw new GatewayError(GATEWAY_CODES.missingArguments, 'isv.missing-parameter:settings', `give at least one of ${known.join(', ')}`);
    await call.gateway.data.saveStoreSettings({ storeId: call.storeId, settings: next, updatedAt: call.now });
    return renderStore(call);
  },
};
