/**
 * @shouquan/sdk: integrate an ISV app with Shouquan (授权) or the e-commerce open platform
 * dialects it speaks. No runtime dependencies beyond Node 20's fetch and crypto.
 */
export { ShouquanClient } from './client.js';
export type {
  ShouquanClientOptions,
  AuthorizeUrlOptions,
  AuthorizeRequest,
  ExchangeOptions,
  CallOptions,
  RestOptions,
} from './client.js';
export { dialects, resolveDialect } from './dialects.js';
export type { Dialect } from './dialects.js';
export { ShouquanError, OAuthError, ApiError, NotAuthorizedError, isInvalidGrant } from './errors.js';
export { MemoryTokenStore } from './token-store.js';
export type { TokenSet, TokenStore } from './token-store.js';
export { signParams, stringToSign, formatTimestamp, paramText, SIGN_METHODS } from './sign.js';
export type { SignMethod, ParamValue } from './sign.js';
export { createPkce, s256, randomState } from './pkce.js';
export type { Pkce } from './pkce.js';
export {
  verifyWebhookSignature,
  parseWebhook,
  webhookSignature,
  WebhookSignatureError,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_EVENT_HEADER,
} from './webhook.js';
export type { WebhookEvent } from './webhook.js';
export { MessageConsumer } from './messages.js';
export type { Message, MessageConsumerOptions, RunOptions } from './messages.js';
