import type { Profile } from './profile.js';

/**
 * The standard profile: RFC 6749 as tightened by the OAuth 2.0 Security BCP (RFC 9700):
 * exact redirect_uri matching, refresh-token rotation, S256-only PKCE.
 */
export const standardProfile: Profile = {
  name: 'standard',
  title: 'Shouquan',
  defaultLang: 'en',
  paths: {
    authorize: '/oauth/authorize',
    token: '/oauth/token',
    revoke: '/oauth/revoke',
    introspect: '/oauth/introspect',
  },
  params: { clientId: ['client_id', 'app_key'], clientSecret: ['client_secret', 'app_secret'] },
  authorize: {
    required: ['response_type', 'client_id'],
    responseTypes: ['code'],
    defaultScope: 'seller',
    views: [],
  },
  token: {
    methods: { authorization_code: ['POST'], refresh_token: ['POST'] },
    grantTypes: ['authorization_code', 'refresh_token'],
  },
  // Permission packages the seller ticks one by one (docs/adr/0136); `seller`, the scope every
  // existing app has, stands for the six of them (not `orders.pii`).
  scopes: {
    seller: {
      en: "Read and manage the chosen store's products, orders and store settings on your behalf",
      zh: '代表您读取和管理所选店铺的商品、订单和店铺配置',
    },
    'store.read': { en: "See the store's name and settings", zh: '查看店铺名称和店铺配置' },
    'store.write': {
      en: "Change the store's settings (description, service phone, addresses, invoices)",
      zh: '修改店铺配置（简介、客服电话、地址、发票）',
    },
    'products.read': { en: 'See your products, prices and stock', zh: '查看您的商品、价格和库存' },
    'products.write': { en: 'Create and change products, prices and stock', zh: '发布和修改商品、价格和库存' },
    'orders.read': {
      en: "See your orders (buyers' names, phones and addresses masked)",
      zh: '查看您的订单（买家姓名、电话和地址已脱敏）',
    },
    'orders.write': { en: 'Ship orders and record their tracking numbers', zh: '为订单发货并填写物流单号' },
    'orders.pii': {
      en: "See buyers' full names, phone numbers and addresses (each reading is recorded for you to check)",
      zh: '查看买家的完整姓名、电话和地址（每次查看都会记录，供您查询）',
    },
  },
  scopeChoice: {
    alwaysGranted: ['store.read'],
    bundles: {
      seller: ['store.read', 'store.write', 'products.read', 'products.write', 'orders.read', 'orders.write'],
    },
    // Buyers' personal data: the seller ticks it on purpose (issue 15).
    optIn: ['orders.pii'],
  },
  lifetimes: { code: 600, access: 7200, refresh: 30 * 24 * 3600 },
  refresh: { rotate: true, graceSeconds: 60 },
  // Issue 19: several stores in one grant; a later consent adds to the live grant.
  grants: { stores: 'several', reconsent: 'add' },
  gateway: {
    methodPrefix: 'shouquan',
    scopePermissions: {
      // Everything, as before (upstream-only methods included): existing apps keep working.
      seller: ['*'],
      'store.read': ['store.read'],
      'store.write': ['store.write'],
      'products.read': ['products.read'],
      'products.write': ['products.write'],
      'orders.read': ['orders.read'],
      'orders.write': ['orders.write'],
      'orders.pii': ['orders.pii'],
    },
  },
  redirectRule: 'exact',
  requirePkce: false,
  tokenFormat: 'base64url',
  tokenType: 'bearer',
  responses: {
    code: [
      { name: 'access_token', from: 'access_token' },
      { name: 'token_type', from: 'token_type' },
      { name: 'expires_in', from: 'expires_in' },
      { name: 'refresh_token', from: 'refresh_token' },
      { name: 'scope', from: 'scope' },
      // Issue 19: who authorized, so the ISV can key its stored tokens right away.
      { name: 'seller_id', from: 'seller_id' },
      { name: 'store_id', from: 'store_id' },
    ],
    refresh: [
      { name: 'access_token', from: 'access_token' },
      { name: 'token_type', from: 'token_type' },
      { name: 'expires_in', from: 'expires_in' },
      { name: 'refresh_token', from: 'refresh_token' },
      { name: 'scope', from: 'scope' },
      // Issue 19: who authorized, so the ISV can key its stored tokens right away.
      { name: 'seller_id', from: 'seller_id' },
      { name: 'store_id', from: 'store_id' },
    ],
    errorExtras: [],
  },
};
