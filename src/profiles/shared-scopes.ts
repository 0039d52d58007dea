import type { Profile } from './profile.js';

/** The one scope every seed platform documents: the seller's store data. */
export const sellerScope: Profile['scopes'] = {
  seller: {
    en: "Read and manage the chosen store's products, orders and store settings on your behalf",
    zh: '代表您读取和管理所选店铺的商品、订单和店铺配置',
  },
};

/**
 * Status codes the meilishuo-family dialects put in `statusCode` next to the RFC 6749 §5.2
 * `error` (the docs give only `0000000` for success; these are ours, documented in docs/profiles.md).
 */
export const legacyStatusCodes: Record<string, string> = {
  invalid_request: '1000400',
  invalid_client: '1000401',
  invalid_grant: '1000402',
  unauthorized_client: '1000403',
  unsupported_grant_type: '1000404',
  invalid_scope: '1000405',
  '*': '1000500',
};
