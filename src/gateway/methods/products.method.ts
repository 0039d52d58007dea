import { formatGmt8 } from '../sign.js';
import { notFound } from '../errors.js';
import type { ProductRecord } from '../../storage/gateway-ports.js';
import { arg, pageAnswer, pageArgs, pageWindow, yuan } from './args.js';
import { defineMethod, schema, writeAndPublish } from './method.js';

const STATUSES = ['onsale', 'instock'] as const;

/** A product as the gateway answers it (`renderProduct`). */
export const PRODUCT_SCHEMA = schema.object(
  {
    product_id: schema.integer,
    title: schema.string(),
    outer_id: schema.nullableString('the seller’s own code'),
    price: schema.yuan,
    stock: schema.integer,
    status: { type: 'string', enum: [...STATUSES] },
    created: schema.time,
    modified: schema.time,
  },
  'Product',
);
const productAnswer = schema.object({ product: PRODUCT_SCHEMA });

/** A product at the HTTP edge. */
export function renderProduct(p: ProductRecord): Record<string, unknown> {
  return {
    product_id: p.productId,
    title: p.title,
    outer_id: p.outerId,
    price: yuan(p.priceCents),
    stock: p.stock,
    status: p.status,
    created: formatGmt8(p.createdAt),
    modified: formatGmt8(p.updatedAt),
  };
}

/** `<prefix>.products.list`: the store's products, newest change first; filters: status, modified range. */
export const productsListMethod = defineMethod({
  name: 'products.list',
  summary: 'The store’s products, newest change first',
  summaryZh: '店铺的商品，按最近修改时间倒序',
  permission: 'products.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/products' },
  args: {
    ...pageArgs,
    status: arg.oneOf(STATUSES, 'only products with this status'),
    start_modified: arg.time('changed at or after'),
    end_modified: arg.time('changed at or before', { notBefore: 'start_modified' }),
  },
  answer: schema.page('products', PRODUCT_SCHEMA),
  async run(call, a) {
    const page = await call.gateway.data.products({
      storeId: call.storeId,
      status: a.status,
      updatedFrom: a.start_modified,
      updatedTo: a.end_modified,
      ...pageWindow(a),
    });
    return pageAnswer(a, page, 'products', renderProduct);
  },
});

/** `<prefix>.products.get`: one product of the store. */
export const productsGetMethod = defineMethod({
  name: 'products.get',
  summary: 'One product of the store',
  summaryZh: '店铺的一个商品',
  permission: 'products.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/products/:product_id' },
  args: { product_id: arg.id('the product') },
  answer: productAnswer,
  async run(call, a) {
    const p = await call.gateway.data.product(call.storeId, a.product_id);
    if (!p) throw notFound('product', a.product_id);
    return { product: renderProduct(p) };
  },
});

/** `<prefix>.products.create`: list a new product in the store (default status `instock`). */
export const productsCreateMethod = defineMethod({
  name: 'products.create',
  summary: 'List a new product in the store',
  summaryZh: '在店铺中发布新商品',
  permission: 'products.write',
  needsSession: true,
  rest: { method: 'POST', path: '/api/v1/products', status: 201 },
  args: {
    title: arg.text('the title', { required: true, max: 60 }),
    outer_id: arg.text('the seller’s own code', { max: 64 }),
    price: arg.money('the price', { required: true }),
    stock: arg.whole('units in stock', { required: true, min: 0, max: 999_999 }),
    status: arg.oneOf(STATUSES, 'default `instock`'),
  },
  answer: productAnswer,
  async run(call, a) {
    // The product and its item.created event commit together (docs/adr/0145, "Own writes").
    const p = await writeAndPublish(
      call,
      (data) =>
        data.createProduct({
          storeId: call.storeId,
          title: a.title,
          outerId: a.outer_id ?? null,
          priceCents: a.price,
          stock: a.stock,
          status: a.status ?? 'instock',
          createdAt: call.now,
          updatedAt: call.now,
        }),
      (p) => [{ topic: 'item.created', data: { ...renderProduct(p) } }],
    );
    const rendered = renderProduct(p);
    return { product: rendered };
  },
});

/** `<prefix>.products.update`: change some fields of a product of the store. */
export const productsUpdateMethod = defineMethod({
  name: 'products.update',
  summary: 'Change some fields of a product of the store',
  summaryZh: '修改店铺中某个商品的部分字段',
  permission: 'products.write',
  needsSession: true,
  rest: { method: 'PATCH', path: '/api/v1/products/:product_id' },
  args: {
    product_id: arg.id('the product'),
    title: arg.text('the title', { max: 60 }),
    outer_id: arg.text('the seller’s own code', { max: 64 }),
    price: arg.money('the price'),
    stock: arg.whole('units in stock', { min: 0, max: 999_999 }),
    status: arg.oneOf(STATUSES, 'onsale or instock'),
  },
  answer: productAnswer,
  async run(call, a) {
    const productId = a.product_id;
    const names = {
      title: 'title',
      outerId: 'outer_id',
      priceCents: 'price',
      stock: 'stock',
      status: 'status',
    } as const;
    // The change and its item.* events commit together (docs/adr/0145, "Own writes"); the product
    // before the change is read in the same transaction.
    const r = await writeAndPublish(
      call,
      async (data) => {
        const before = call.messages ? await data.product(call.storeId, productId) : undefined;
        const p = await data.updateProduct(
          call.storeId,
          productId,
          {
            ...(a.title !== undefined && { title: a.title }),
            ...(a.outer_id !== undefined && { outerId: a.outer_id }),
            priceCents: a.price,
            stock: a.stock,
            status: a.status,
          },
          call.now,
        );
        return { before, p };
      },
      ({ before, p }) => {
        if (!before || !p) return [];
        const changed = (['title', 'outerId', 'priceCents', 'stock', 'status'] as const).filter(
          (k) => before[k] !== p[k],
        );
        const events: Array<{ topic: string; data: Record<string, unknown> }> = [
          { topic: 'item.updated', data: { ...renderProduct(p), changed: changed.map((k) => names[k]) } },
        ];
        if (before.stock !== p.stock)
          events.push({
            topic: 'item.stock_changed',
            data: { product_id: p.productId, stock: p.stock, previous_stock: before.stock },
          });
        return events;
      },
    );
    const p = r.p;
    if (!p) throw notFound('product', productId);
    const rendered = renderProduct(p);
    return { product: rendered };
  },
});
