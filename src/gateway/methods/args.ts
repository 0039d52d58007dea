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
export function whole(
  args: Args,
  name: string,
  opts: { required?: boolean; min?: number; max?: number } = {},
): number | undefined {
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
  if (!(values as readonly string[]).includes(v))
    throw invalidArgument(name, `must be one of ${values.join(', ')}, got "${v}"`);
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

/** A JSON Schema (the subset OpenAPI 3.1 documents carry). */
export type JsonSchema = Record<string, unknown>;

/**
 * One declared argument of a gateway method (docs/adr/0166): how it is parsed (the functions
 * above, same refusals) and how it is documented (`/openapi.json`, docs/gateway.md's table).
 */
export interface ArgSpec<T> {
  /** JSON Schema of the value as sent (a string on the wire; `integer` for whole numbers). */
  readonly schema: JsonSchema;
  readonly required: boolean;
  readonly description: string;
  /** The constraint in a few words, for docs/gateway.md's table (`1–30`, `≤ 60 chars`). */
  readonly hint?: string;
  /** Parse `name` from the call's arguments; `parsed` holds the arguments declared before it. */
  parse(args: Args, name: string, parsed: Readonly<Record<string, unknown>>): T;
}

/** A method's arguments, in parsing order (also the order the docs list them). */
export type ArgsSpec = Readonly<Record<string, ArgSpec<unknown>>>;

/** The values a spec parses to, by argument name. */
export type Parsed<S extends ArgsSpec> = { [K in keyof S]: S[K] extends ArgSpec<infer T> ? T : never };

/** Parse every declared argument in order (the first bad one is refused). */
export function parseArgs<S extends ArgsSpec>(spec: S, args: Args): Parsed<S> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) out[name] = s.parse(args, name, out);
  return out as Parsed<S>;
}

const TIME_DOC = '`yyyy-MM-dd HH:mm:ss` GMT+8, inclusive';

/** Builders of `ArgSpec`s: the declarative face of the parsers above. */
export const arg = {
  /** Text, at most `max` characters (default 200); `pattern` refuses other values with its message. */
  text<R extends boolean = false>(
    description: string,
    o: { required?: R; max?: number; pattern?: { re: RegExp; why: string } } = {},
  ): ArgSpec<R extends true ? string : string | undefined> {
    const max = o.max ?? 200;
    return {
      schema: { type: 'string', ...(Number.isFinite(max) && { maxLength: max }) },
      required: o.required === true,
      description,
      ...(Number.isFinite(max) && { hint: `≤ ${max} chars` }),
      parse: (a, name) => {
        const v = text(a, name, { required: o.required === true, max } as { required: false; max: number });
        if (v !== undefined && o.pattern && !o.pattern.re.test(v)) throw invalidArgument(name, o.pattern.why);
        return v as R extends true ? string : string | undefined;
      },
    };
  },
  /** The value exactly as sent, `''` included (only absent is undefined). */
  raw(description: string): ArgSpec<string | undefined> {
    return { schema: { type: 'string' }, required: false, description, parse: (a, name) => a.get(name) };
  },
  /** A whole number within bounds; `default` when absent. */
  whole<R extends boolean = false, D extends number | undefined = undefined>(
    description: string,
    o: { required?: R; min?: number; max?: number; default?: D } = {},
  ): ArgSpec<R extends true ? number : D extends number ? number : number | undefined> {
    const bounds = [o.min, o.max];
    return {
      schema: {
        type: 'integer',
        ...(o.min !== undefined && { minimum: o.min }),
        ...(o.max !== undefined && { maximum: o.max }),
        ...(o.default !== undefined && { default: o.default }),
      },
      required: o.required === true,
      description,
      ...(bounds.every((b) => b !== undefined) && { hint: `${o.min}–${o.max}` }),
      parse: (a, name) =>
        (whole(a, name, { required: o.required, min: o.min, max: o.max }) ?? o.default) as R extends true
          ? number
          : D extends number
            ? number
            : number | undefined,
    };
  },
  /** A required id (a positive whole number). */
  id(description: string): ArgSpec<number> {
    return { schema: { type: 'integer', minimum: 1 }, required: true, description, parse: (a, name) => id(a, name) };
  },
  /** Yuan with at most two decimals (`12.50`), parsed to cents. */
  money<R extends boolean = false>(
    description: string,
    o: { required?: R } = {},
  ): ArgSpec<R extends true ? number : number | undefined> {
    return {
      schema: { type: 'string', pattern: '^\\d{1,9}(\\.\\d{1,2})?$' },
      required: o.required === true,
      description,
      hint: 'yuan, `12.50`',
      parse: (a, name) => money(a, name, o.required === true) as R extends true ? number : number | undefined,
    };
  },
  /** A GMT+8 time; `notBefore`: an earlier argument this one may not precede (a range's end). */
  time(description: string, o: { notBefore?: string } = {}): ArgSpec<number | undefined> {
    return {
      schema: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$' },
      required: false,
      description: `${description}, ${TIME_DOC}`,
      hint: 'GMT+8 time',
      parse: (a, name, parsed) => {
        const t = time(a, name);
        const from = o.notBefore === undefined ? undefined : (parsed[o.notBefore] as number | undefined);
        if (o.notBefore !== undefined && from !== undefined && t !== undefined && from > t)
          throw invalidArgument(o.notBefore, `may not be after ${name}`);
        return t;
      },
    };
  },
  /** One of a fixed set of values. */
  oneOf<T extends string>(values: readonly T[], description: string): ArgSpec<T | undefined> {
    return {
      schema: { type: 'string', enum: [...values] },
      required: false,
      description,
      hint: values.map((v) => `\`${v}\``).join('/'),
      parse: (a, name) => oneOf(a, name, values),
    };
  },
  /** `true` or `false`. */
  bool(description: string): ArgSpec<boolean | undefined> {
    return {
      schema: { type: 'boolean' },
      required: false,
      description,
      hint: '`true`/`false`',
      parse: (a, name) => bool(a, name),
    };
  },
  /** An argument with a parser of its own (keep its refusals in the catalogue's shapes). */
  custom<T>(
    description: string,
    schema: JsonSchema,
    parse: (raw: string | undefined, name: string) => T,
    o: { required?: boolean; hint?: string } = {},
  ): ArgSpec<T> {
    return {
      schema,
      required: o.required === true,
      description,
      ...(o.hint !== undefined && { hint: o.hint }),
      parse: (a, name) => parse(a.get(name), name),
    };
  },
};

/** `page_no` and `page_size` (as `paging` reads them), for list methods. */
export const pageArgs = {
  page_no: arg.whole('page number from 1', { min: 1, max: 100_000, default: 1 }),
  page_size: arg.whole('items per page', { min: 1, max: 100, default: 20 }),
};

/** Where a list method's page starts and how long it is, from its parsed `page_no` and `page_size`. */
export function pageWindow(a: { page_no: number; page_size: number }): { offset: number; limit: number } {
  return { offset: (a.page_no - 1) * a.page_size, limit: a.page_size };
}

/**
 * A list method's answer in the TOP shape: `total_results`, `page_no`, `page_size`, `has_next`, then
 * the page's items, rendered, under `key`.
 */
export function pageAnswer<T>(
  a: { page_no: number; page_size: number },
  page: { total: number; items: readonly T[] },
  key: string,
  render: (item: T) => unknown,
): Record<string, unknown> {
  const { offset } = pageWindow(a);
  return {
    total_results: page.total,
    page_no: a.page_no,
    page_size: a.page_size,
    has_next: offset + page.items.length < page.total,
    [key]: page.items.map(render),
  };
}
