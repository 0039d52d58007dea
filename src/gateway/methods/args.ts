import { parseGmt8 } from '../sign.js';
import { invalidArgument, missingArgument } from '../errors.js';
import type { Args } from './method.js';

/** A text argument; throws 40 when required and absent, 41 when too long. */
export function text(args: Args, name: string, opts: { required: true; max?: number }): string;
export function text(args: Args, name: string, opts?: { required?: false; max?: number }): string | undefined;
export function text(args: Args, name: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = args.get(name);
  if (v === undefined || v === '') {
    if (opts.required) throw missingArgument(name);
    return undefined;
  }
  const max = opts.max ?? 200;
  if ([...v].length > max) throw invalidArgument(name, `must be at most ${max} characters`);
  return v;
}

/** A whole-number argument within bounds. */
export function whole(args: Args, name: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = text(args, name, { required: opts.required as false | undefined, max: 20 });
  if (v === undefined) {
    if (opts.required) throw missingArgument(name);
    return undefined;
  }
  if (!/^-?\d+$/.test(v)) throw invalidArgument(name, `must be a whole number, got "${v}"`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw invalidArgument(name, 'is out of range');
  if (opts.min !== undefined && n < opts.min) throw invalidArgument(name, `must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw invalidArgument(name, `must be at most ${opts.max}`);
  return n;
}

/** An id argument (positive whole number). */
export function id(args: Args, name: string): number {
  return whole(args, name, { required: true, min: 1 }) as number;
}

/** A money amount in yuan with at most two decimals ("12.5", "12.50") as cents. */
export function money(args: Args, name: string, required = false): number | undefined {
  const v = text(args, name, { max: 20 });
  if (v === undefined) {
    if (required) throw missingArgument(name);
    return undefined;
  }
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(v);
  if (!m) throw invalidArgument(name, `must be an amount like 12.50, got "${v}"`);
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** Cents as a TOP amount string ("12.50"). */
export function yuan(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** A time argument, `yyyy-MM-dd HH:mm:ss` in GMT+8. */
export function time(args: Args, name: string): number | undefined {
  const v = text(args, name, { max: 19 });
  if (v === undefined) return undefined;
  const t = parseGmt8(v);
  if (t === undefined) throw invalidArgument(name, `must be a time like 2024-06-18 09:30:00 (GMT+8), got "${v}"`);
  return t;
}

/** A time range from two arguments; the start may not be after the end. */
export function range(args: Args, from: string, to: string): { from?: number; to?: number } {
  const a = time(args, from);
  const b = time(args, to);
  if (a !== undefined && b !== undefined && a > b) throw invalidArgument(from, `may not be after ${to}`);
  return { from: a, to: b };
}

/** One of a fixed set of values. */
export function oneOf<T extends string>(args: Args, name: string, values: readonly T[]): T | undefined {
  const v = text(args, name, { max: 40 });
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw invalidArgument(name, `must be one of ${values.join(', ')}, got "${v}"`);
  return v as T;
}

/** A boolean argument (`true`/`false`). */
export function bool(args: Args, name: string): boolean | undefined {
  const v = oneOf(args, name, ['true', 'false'] as const);
  return v === undefined ? undefined : v === 'true';
}

/** Paging: `page_no` from 1, `page_size` 1 to 100 (default 20). */
export function paging(args: Args): { pageNo: number; pageSize: number; offset: number } {
  const pageNo = whole(args, 'page_no', { min: 1, max: 100_000 }) ?? 1;
  const pageSize = whole(args, 'page_size', { min: 1, max: 100 }) ?? 20;
  return { pageNo, pageSize, offset: (pageNo - 1) * pageSize };
}
