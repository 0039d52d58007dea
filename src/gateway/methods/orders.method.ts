import { formatGmt8 } from '../sign.js';
import { GATEWAY_CODES, GatewayError, notFound } from '../errors.js';
import { ORDER_STATUSES, type OrderRecord } from '../../storage/gateway-ports.js';
import { arg, pageAnswer, pageArgs, pageWindow, yuan } from './args.js';
import { defineMethod, schema, writeAndPublish } from './method.js';
import { maskAddress, maskName, maskPhone } from '../pii.js';
import { gmt8Day, msUntilNextGmt8Midnight } from '../sign.js';

/** An order as the gateway answers it (`renderOrder`; the receiver masked). */
export const ORDER_SCHEMA = schema.object(
  {
    order_id: schema.integer,
    status: { type: 'string', enum: [...ORDER_STATUSES] },
    buyer_nick: schema.string(),
    receiver_name: schema.string('masked: the first character (`张*`)'),
    receiver_phone: schema.string('masked: the first 3 and last 4 digits (`138****5678`)'),
    receiver_address: schema.string('masked: cut to the district'),
    total_fee: schema.yuan,
    lines: schema.array(
      schema.object({
        product_id: schema.integer,
        title: schema.string(),
        price: schema.yuan,
        quantity: schema.integer,
      }),
    ),
    logistics_company: schema.nullableString(),
    tracking_no: schema.nullableString(),
    created: schema.time,
    modified: schema.time,
    shipped: { ...schema.time, type: ['string', 'null'] },
  },
  'Order',
);
const orderAnswer = schema.object({ order: ORDER_SCHEMA });

/**
 * An order at the HTTP edge (TOP trade statuses, amounts as yuan strings, GMT+8 times). The
 * receiver is masked (`张*`, `138****5678`, the address cut to the district): the full values
 * come only from `orders.receiver.get` (issue 15, docs/adr/0137).
 */
export function renderOrder(o: OrderRecord): Record<string, unknown> {
  return {
    order_id: o.orderId,
    status: o.status,
    buyer_nick: o.buyerNick,
    receiver_name: maskName(o.receiverName),
    receiver_phone: maskPhone(o.receiverPhone),
    receiver_address: maskAddress(o.receiverAddress),
    total_fee: yuan(o.totalCents),
    lines: o.lines.map((l) => ({
      product_id: l.productId,
      title: l.title,
      price: yuan(l.priceCents),
      quantity: l.quantity,
    })),
    logistics_company: o.logisticsCompany,
    tracking_no: o.trackingNo,
    created: formatGmt8(o.createdAt),
    modified: formatGmt8(o.updatedAt),
    shipped: o.shippedAt === null ? null : formatGmt8(o.shippedAt),
  };
}

/**
 * `<prefix>.orders.list`: the store's orders, newest first. Filters for order tools:
 * `status`, `start_created`/`end_created`, `start_modified`/`end_modified` (GMT+8, inclusive).
 */
export const ordersListMethod = defineMethod({
  name: 'orders.list',
  summary: 'The store’s orders, newest first, with the filters order tools need',
  summaryZh: '店铺的订单，按创建时间倒序，提供订单工具所需的筛选条件',
  permission: 'orders.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/orders' },
  args: {
    ...pageArgs,
    status: arg.oneOf(ORDER_STATUSES, 'only orders in this status'),
    start_created: arg.time('created at or after'),
    end_created: arg.time('created at or before', { notBefore: 'start_created' }),
    start_modified: arg.time('changed at or after'),
    end_modified: arg.time('changed at or before', { notBefore: 'start_modified' }),
  },
  answer: schema.page('orders', ORDER_SCHEMA),
  async run(call, a) {
    const page = await call.gateway.data.orders({
      storeId: call.storeId,
      status: a.status,
      createdFrom: a.start_created,
      createdTo: a.end_created,
      updatedFrom: a.start_modified,
      updatedTo: a.end_modified,
      ...pageWindow(a),
    });
    return pageAnswer(a, page, 'orders', renderOrder);
  },
});

/** `<prefix>.orders.get`: one order of the store. */
export const ordersGetMethod = defineMethod({
  name: 'orders.get',
  summary: 'One order of the store',
  summaryZh: '店铺的一个订单',
  permission: 'orders.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/orders/:order_id' },
  args: { order_id: arg.id('the order') },
  answer: orderAnswer,
  async run(call, a) {
    const o = await call.gateway.data.order(call.storeId, a.order_id);
    if (!o) throw notFound('order', a.order_id);
    return { order: renderOrder(o) };
  },
});

/** `<prefix>.orders.ship`: record shipment of a paid order (WAIT_SELLER_SEND_GOODS → WAIT_BUYER_CONFIRM_GOODS). */
export const ordersShipMethod = defineMethod({
  name: 'orders.ship',
  summary: 'Record the shipment of a paid order (WAIT_SELLER_SEND_GOODS → WAIT_BUYER_CONFIRM_GOODS)',
  summaryZh: '为已付款订单登记发货（WAIT_SELLER_SEND_GOODS → WAIT_BUYER_CONFIRM_GOODS）',
  permission: 'orders.write',
  needsSession: true,
  rest: { method: 'POST', path: '/api/v1/orders/:order_id/ship' },
  args: {
    order_id: arg.id('the order'),
    logistics_company: arg.text('the carrier', { required: true, max: 40 }),
    tracking_no: arg.text('the waybill number', { required: true, max: 40 }),
  },
  answer: orderAnswer,
  async run(call, a) {
    const orderId = a.order_id;
    const logisticsCompany = a.logistics_company;
    const trackingNo = a.tracking_no;
    // The shipment and its trade.shipped event commit together (docs/adr/0145, "Own writes").
    const r = await writeAndPublish(
      call,
      (data) => data.shipOrder({ storeId: call.storeId, orderId, logisticsCompany, trackingNo, now: call.now }),
      (r) =>
        r.status === 'shipped'
          ? [
              {
                topic: 'trade.shipped',
                data: {
                  order_id: r.order.orderId,
                  status: r.order.status,
                  logistics_company: logisticsCompany,
                  tracking_no: trackingNo,
                },
              },
            ]
          : [],
    );
    if (r.status === 'not_found') throw notFound('order', orderId);
    if (r.status === 'wrong_status')
      throw new GatewayError(
        GATEWAY_CODES.remoteServiceError,
        'isv.order-status-invalid',
        `order ${orderId} is ${r.current}; only WAIT_SELLER_SEND_GOODS orders can be shipped`,
      );
    return { order: renderOrder(r.order) };
  },
});

/**
 * `<prefix>.orders.receiver.get` and `GET /api/v1/orders/{order_id}/receiver`: an order's receiver
 * in full (name, phone, address). Needs `orders.pii`, which the seller grants only by ticking it;
 * counted against the app's own daily decryption quota; every call is recorded for the seller
 * center and the audit log (issue 15, PIPL; docs/adr/0137).
 */
export const ordersReceiverGetMethod = defineMethod({
  name: 'orders.receiver.get',
  summary:
    'An order’s receiver in full (name, phone, address): needs `orders.pii`, counted against the app’s daily decryption quota, recorded for the seller',
  summaryZh:
    '订单收货人的完整信息（姓名、电话、地址）：需要 `orders.pii` 权限，计入应用每日的解密额度，并记录在卖家可查的记录中',
  permission: 'orders.pii',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/orders/:order_id/receiver' },
  args: { order_id: arg.id('the order') },
  answer: schema.object({
    receiver: schema.object({
      order_id: schema.integer,
      receiver_name: schema.string(),
      receiver_phone: schema.string(),
      receiver_address: schema.string(),
    }),
  }),
  async run(call, a) {
    const orderId = a.order_id;
    const o = await call.gateway.data.order(call.storeId, orderId);
    if (!o) throw notFound('order', orderId);
    // The app's own daily budget of decryptions, GMT+8 days, in the store every node shares
    // (database or Redis, docs/adr/0110): one atomic take per call, never past the limit.
    const limit = call.receiverQuotaPerDay;
    const key = `rq:${call.app.appKey}:d:${gmt8Day(call.now)}`;
    const taken = await call.limits.take(
      key,
      1,
      limit,
      call.now + msUntilNextGmt8Midnight(call.now) + 60_000,
      call.now,
    );
    if (taken < 1) {
      const wait = Math.max(1, Math.ceil(msUntilNextGmt8Midnight(call.now) / 1000));
      throw new GatewayError(
        GATEWAY_CODES.callLimited,
        'accesscontrol.limited-by-receiver-quota',
        `this app may read ${limit} order receivers per day (GMT+8); the quota resets in ${wait} seconds`,
        wait,
      );
    }
    await call.gateway.receiverReads.record({
      appKey: call.app.appKey,
      sellerId: call.sellerId,
      storeId: call.storeId,
      orderId,
      at: call.now,
    });
    return {
      receiver: {
        order_id: o.orderId,
        receiver_name: o.receiverName,
        receiver_phone: o.receiverPhone,
        receiver_address: o.receiverAddress,
      },
    };
  },
});
