/**
 * Buyer data protection (issue 15, PIPL; docs/adr/0137): gateway answers show receivers masked,
 * the way Taobao, JD and Pinduoduo show them to ISVs; the full values only through the audited
 * `<prefix>.orders.receiver.get` with the seller's explicit `orders.pii` grant.
 */

/** `张伟` → `张*`, `欧阳娜娜` → `欧***`: the first character, then one `*` per other character. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(chars.length - 1);
}

/** `13812345678` → `138****5678`; other lengths keep at most the first 3 and last 4 digits, never more than half. */
export function maskPhone(phone: string): string {
  const chars = [...phone.trim()];
  if (chars.length >= 11) return `${chars.slice(0, 3).join('')}****${chars.slice(-4).join('')}`;
  const keep = Math.floor(chars.length / 4);
  return chars.length === 0
    ? ''
    : `${chars.slice(0, keep).join('')}${'*'.repeat(chars.length - 2 * keep)}${chars.slice(chars.length - keep).join('')}`;
}

/** The levels of a Chinese address down to the district: province, city, district (区, 县, 旗, county-level 市). */
const DISTRICT = /^(.*?(?:省|自治区|特别行政区)?\s*.*?(?:市|自治州|州|盟|地区)\s*.*?(?:区|县|旗|市))/u;

/**
 * An address cut to the district: `浙江省 杭州市 西湖区 文三路 398号` → `浙江省 杭州市 西湖区`;
 * `上海市 浦东新区 世纪大道 100号` → `上海市 浦东新区`. With no recognisable district, only `***`.
 */
export function maskAddress(address: string): string {
  const parts = address.trim().split(/\s+/u);
  const at = parts.findIndex((p, i) => i > 0 && /(区|县|旗)$/u.test(p));
  if (at > 0) return parts.slice(0, at + 1).join(' ');
  const m = DISTRICT.exec(address.trim());
  return m && m[1] && m[1].length < address.trim().length ? m[1].trim() : '***';
}
