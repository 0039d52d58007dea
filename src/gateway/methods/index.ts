import { authTokenRefreshMethod } from './auth-token-refresh.method.js';
import type { GatewayMethod } from './method.js';
import { ordersGetMethod, ordersListMethod, ordersReceiverGetMethod, ordersShipMethod } from './orders.method.js';
import {
  productsCreateMethod,
  productsGetMethod,
  productsListMethod,
  productsUpdateMethod,
} from './products.method.js';
import { tmcMessagesConfirmMethod, tmcMessagesConsumeMethod } from './tmc.method.js';
import { storeGetMethod, storeSettingsUpdateMethod, storesListMethod } from './store.method.js';

/** Every built-in gateway method, named without the profile's prefix. */
export const gatewayMethods: readonly GatewayMethod[] = [
  authTokenRefreshMethod,
  storesListMethod,
  storeGetMethod,
  storeSettingsUpdateMethod,
  productsListMethod,
  productsGetMethod,
  productsCreateMethod,
  productsUpdateMethod,
  ordersListMethod,
  ordersGetMethod,
  ordersShipMethod,
  ordersReceiverGetMethod,
  tmcMessagesConsumeMethod,
  tmcMessagesConfirmMethod,
];
