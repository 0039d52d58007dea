import { formatGmt8 } from '../sign.js';
import { notFound } from '../errors.js';
import type { ProductRecord } from '../ports.js';
import { id, money, oneOf, paging, range, text, whole, yuan } from './args.js';
import { publishOwnWrite, type GatewayMethod } from './method.js';

const STATUSES = ['onsale', 'instock'] as const;

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
export const productsListMethod: GatewayMethod = {
  name: 'products.list',
  permission: 'products.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/products' },
  async handle(call) {
    const { pageNo, pageSize, offset } = paging(call.args);
    const status = oneOf(call.args, 'status', STATUSES);
    const modified = range(call.args, 'start_modified', 'end_modified');
    const page = await call.gateway.data.products({ storeId: call.storeId, status, updatedFrom: modified.from, updatedTo: modified.to, offset, limit: pageSize });
    return { total_results: page.total, page_no: pageNo, page_size: pageSize, has_next: offset + page.items.length < page.total, products: page.items.map(renderProduct) };
  },
};

/** `<prefix>.products.get`: one product of the store. */
export const productsGetMethod: GatewayMethod = {
  name: 'products.get',
  permission: 'products.read',
  needsSession: true,
  rest: { method: 'GET', path: '/api/v1/products/:product_id' },
  async handle(call) {
    const productId = id(call.args, 'product_id');
    const p = await call.gateway.data.product(call.storeId, productId);
    if (!p) throw notFound('product', productId);
    return { product: renderProduct(p) };
  },
};

/** `<prefix>.products.create`: list a new product in the store (default status `instock`). */
export const productsCreateMethod: GatewayMethod = {
  name: 'products.create',
  permission: 'products.write',
  needsSession: true,
  rest: { method: 'POST', path: '/api/v1/products' },
  async handle(call) {
    const a = call.args;
    const p = await call.gateway.data.createProduct({
      storeId: call.storeId,
      title: text(a, 'title', { required: true, max: 60 }),
      outerId: text(a, 'outer_id', { max: 64 }) ?? null,
      priceCents: money(a, 'price', true) as number,
      stock: whole(a, 'stock', { required: true, min: 0, max: 999_999 }) as number,
      status: oneOf(a, 'status', STATUSES) ?? 'instock',
      createdAt: call.now,
      updatedAt: call.now,
    });
    const rendered = renderProduct(p);
    await publishOwnWrite(call, 'item.created', { ...rendered });
    return { product: rendered };
  },
};

/** `<prefix>.products.update`: change some fields of a product of the store. */
export const productsUpdateMethod: GatewayMethod = {
  name: 'products.update',
  permission: 'products.write',
  needsSession: true,
  rest: { method: 'PATCH', path: '/api/v1/products/:product_id' },
  async handle(call) {
    const a = call.args;
    const productId = id(a, 'product_id');
    const title = text(a, 'title', { max: 60 });
    const outerId = text(a, 'outer_id', { max: 64 });
    const before = call.messages ? await call.gateway.data.product(call.storeId, productId) : undefined;
    const p = await call.gateway.data.updateProduct(
      call.storeId,
      productId,
      {
        ...(title !== undefined && { title }),
        ...(outerId !== undefined && { outerId }),
        priceCents: money(a, 'price'),
        stock: whole(a, 'stock', { min: 0, max: 999_999 }),
        status: oneOf(a, 'status', STATUSES),
      },
      call.now,
    );
    if (!p) throw notFound('product', productId);
    const rendered = renderProduct(p);
    if (before) {
      const changed = (['title', 'outerId', 'priceCents', 'stock', 'status'] as const).filter((k) => before[k] !== p[k]);
      const names = { title: 'title', outerId: 'outer_id', priceCents: 'price', stock: 'stock', status: 'status' } as const;
      await publishOwnWrite(call, 'item.updated', { ...rendered, changed: changed.map((k) => names[k]) });
      if (before.stock !== p.stock) await publishOwnWrite(call, 'item.stock_changed', { product_id: p.productId, stock: p.stock, previous_stock: before.stock });
    }
    return { product: rendered };
  },
};
