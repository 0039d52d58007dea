import type { StoreRecord } from '../storage/ports.js';
import {
  ORDER_STATUSES,
  type GatewayStorage,
  type OrderLine,
  type OrderStatus,
  type ProductRecord,
} from '../storage/gateway-ports.js';

const CATALOGUE: Array<[string, number, string]> = [
  ['夏季新款纯棉短袖T恤 男女同款', 5900, 'TS-2024-001'],
  ['高腰显瘦牛仔裤 九分直筒', 12900, 'JN-2024-017'],
  ['轻薄防晒衣 UPF50+ 连帽', 8900, 'SP-2024-033'],
  ['真丝印花连衣裙 法式复古', 39900, 'DR-2024-008'],
  ['运动休闲鞋 透气网面 男款', 19900, 'SH-2024-021'],
  ['不锈钢保温杯 500ml 316内胆', 6800, 'CP-2024-005'],
  ['无线蓝牙耳机 主动降噪', 29900, 'EP-2024-012'],
  ['有机绿茶 明前龙井 250g 礼盒', 16800, 'TE-2024-002'],
  ['手工皂 冷制 玫瑰精油 3块装', 4500, 'SO-2024-009'],
  ['儿童绘本 全10册 3-6岁', 9900, 'BK-2024-014'],
  ['家用空气净化器 除甲醛', 89900, 'AP-2024-003'],
  ['羊毛混纺围巾 格纹 秋冬', 15900, 'SC-2024-027'],
];

const BUYERS = [
  '小鱼儿_88',
  'tb_lily2019',
  '阿杰爱跑步',
  'momo的小店',
  'sunny_day',
  '王二小',
  'cat_lover_cn',
  '北京老张',
];
const RECEIVERS: Array<[string, string]> = [
  ['张伟', '浙江省 杭州市 西湖区 文三路 398号 东信大厦 1201室'],
  ['李娜', '上海市 浦东新区 世纪大道 100号 环球金融中心 35楼'],
  ['王芳', '广东省 深圳市 南山区 科技园 高新南一道 6号'],
  ['刘洋', '北京市 海淀区 中关村大街 27号 中关村大厦 8层'],
  ['陈静', '四川省 成都市 武侯区 天府大道北段 1700号'],
  ['赵磊', '江苏省 南京市 鼓楼区 中山北路 30号'],
];
const CARRIERS = ['顺丰速运', '中通快递', '圆通速递', '韵达快递', 'EMS'];

/** A small deterministic generator, so every sandbox looks the same. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * Fill each empty sandbox store with realistic products and 40 orders over the last 30 days
 * in every TOP trade status (masked phone numbers, Chinese addresses, carriers).
 * Stores that already have products are left alone.
 */
export async function fillSandboxData(storage: GatewayStorage, stores: StoreRecord[], now: number): Promise<void> {
  const day = 24 * 3600 * 1000;
  for (const store of stores) {
    if ((await storage.data.countProducts(store.storeId)) > 0) continue;
    const rand = rng(store.storeId * 7919);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
    const products: ProductRecord[] = [];
    const offset = store.storeId % 2 === 0 ? 6 : 0;
    for (let i = 0; i < 8; i++) {
      const [title, price, outer] = CATALOGUE[(i + offset) % CATALOGUE.length]!;
      const created = now - Math.floor((60 - i * 5) * day * (0.5 + rand() / 2));
      products.push(
        await storage.data.createProduct({
          storeId: store.storeId,
          title,
          outerId: outer,
          priceCents: price,
          stock: Math.floor(rand() * 500),
          status: i % 5 === 4 ? 'instock' : 'onsale',
          createdAt: created,
          updatedAt: created + Math.floor(rand() * 3 * day),
        }),
      );
    }
    for (let i = 0; i < 40; i++) {
      const createdAt = now - Math.floor(rand() * 30 * day);
      const status: OrderStatus = ORDER_STATUSES[i % ORDER_STATUSES.length]!;
      const lines: OrderLine[] = [];
      for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
        const p = pick(products);
        lines.push({
          productId: p.productId,
          title: p.title,
          priceCents: p.priceCents,
          quantity: 1 + Math.floor(rand() * 2),
        });
      }
      const shipped = status === 'WAIT_BUYER_CONFIRM_GOODS' || status === 'TRADE_FINISHED';
      const shippedAt = shipped ? Math.min(now, createdAt + Math.floor(day * (0.2 + rand()))) : null;
      const [receiverName, receiverAddress] = pick(RECEIVERS);
      await storage.data.createOrder({
        storeId: store.storeId,
        status,
        buyerNick: pick(BUYERS),
        receiverName,
        // A whole (fictitious) number: the gateway masks it (issue 15). The middle digits come from
        // the order's place, not the generator, so every other value stays as it was.
        receiverPhone: `1${3 + Math.floor(rand() * 6)}${Math.floor(rand() * 10)}${String((store.storeId * 7 + i * 131) % 10000).padStart(4, '0')}${String(Math.floor(rand() * 10000)).padStart(4, '0')}`,
        receiverAddress,
        totalCents: lines.reduce((sum, l) => sum + l.priceCents * l.quantity, 0),
        lines,
        logisticsCompany: shipped ? pick(CARRIERS) : null,
        trackingNo: shipped ? `SF${String(Math.floor(rand() * 1e12)).padStart(12, '0')}` : null,
        createdAt,
        updatedAt: shippedAt ?? createdAt,
        shippedAt,
      });
    }
    await storage.data.saveStoreSettings({
      storeId: store.storeId,
      settings: {
        description: `${store.name}：正品保障，48小时内发货，七天无理由退换`,
        customerServicePhone: '400-820-8820',
        shipFromAddress: '浙江省 杭州市 余杭区 仓前街道 文一西路 1500号 3号仓',
        returnAddress: '浙江省 杭州市 余杭区 仓前街道 文一西路 1500号 售后部',
        autoConfirmDays: 10,
        invoiceEnabled: true,
      },
      updatedAt: now,
    });
  }
}
