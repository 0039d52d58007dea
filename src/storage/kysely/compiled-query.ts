import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

/** A precompiled query: run it through Kysely, or `bind` it to values for a direct run. */
export interface Precompiled<Row, Names extends string> {
  (values: Record<Names, unknown>, on?: Kysely<any>): Promise<QueryResult<Row>>;
  /** The compiled query with these values, to run elsewhere (docs/adr/0058). */
  bind(values: Record<Names, unknown>): CompiledQuery<Row>;
  /** The same, with the values given in the order of `names` (no record to build: for many rows). */
  bindOrdered(values: readonly unknown[]): CompiledQuery<Row>;
}

/**
 * Build and compile a Kysely query once, then run it with new parameter values: the query
 * builder and compiler cost (≈ 10 % of the server's CPU on token lookups, docs/benchmarks.md)
 * is paid at start-up instead of per request. `build` receives placeholder strings; each must
 * appear exactly once among the compiled query's parameters. Pass a transaction as `on` to run
 * the query inside it.
 */
export function precompile<Row, Names extends string>(
  db: Kysely<any>,
  names: readonly Names[],
  build: (p: Record<Names, string>) => Compilable<Row>,
): Precompiled<Row, Names> {
  const marker = `\u0000precompiled:${Math.random().toString(36).slice(2)}:`;
  const placeholders = Object.fromEntries(names.map((n) => [n, `${marker}${n}`])) as Record<Names, string>;
  const compiled = build(placeholders).compile();
  const slots: Array<{ index: number; name: Names }> = [];
  compiled.parameters.forEach((p, index) => {
    if (typeof p === 'string' && p.startsWith(marker)) slots.push({ index, name: p.slice(marker.length) as Names });
  });
  const indexOf = new Map<Names, number>();
  const seen = new Map<Names, number>();
  for (const s of slots) {
    seen.set(s.name, (seen.get(s.name) ?? 0) + 1);
    indexOf.set(s.name, s.index);
  }
  for (const n of names) {
    if (seen.get(n) !== 1) throw new Error(`precompile: placeholder ${n} must appear exactly once`);
  }
  const { sql } = compiled;
  const base = [...compiled.parameters];
  const bind = (values: Record<Names, unknown>): CompiledQuery<Row> => {
    const params = base.slice();
    for (const s of slots) params[s.index] = values[s.name];
    return CompiledQuery.raw(sql, params) as CompiledQuery<Row>;
  };
  // Where each name's value goes among the compiled parameters, in the order of `names`.
  const positions = names.map((n) => indexOf.get(n)!);
  const bindOrdered = (values: readonly unknown[]): CompiledQuery<Row> => {
    const params = base.slice();
    for (let k = 0; k < positions.length; k++) params[positions[k]!] = values[k];
    return CompiledQuery.raw(sql, params) as CompiledQuery<Row>;
  };
  return Object.assign((values: Record<Names, unknown>, on: Kysely<any> = db) => on.executeQuery<Row>(bind(values)), {
    bind,
    bindOrdered,
  });
}

/**
 * A multi-row INSERT compiled once per row count (1 … `maxRows`), for the rows every grant writes
 * (tokens, grants, audit entries): Kysely's insert builder costs more CPU than SQLite's insert
 * (docs/adr/0054). Rows are plain column → value records; more rows than `maxRows` are split.
 * `sizes` compiles only those row counts (1 must be among them) and splits a list greedily,
 * largest first: for batches of hundreds of rows (the gateway call log).
 */
export function precompileInsert<Row extends Record<string, unknown>>(
  db: Kysely<any>,
  table: string,
  columns: readonly (keyof Row & string)[],
  maxRows = 2,
  sizes: readonly number[] = Array.from({ length: maxRows }, (_, i) => i + 1),
): PrecompiledInsert<Row> {
  if (!sizes.includes(1)) throw new Error('precompileInsert: sizes must include 1');
  const largestFirst = [...sizes].sort((a, b) => b - a);
  const byCount: Array<Precompiled<unknown, string>> = [];
  const names = (count: number) => Array.from({ length: count }, (_, r) => columns.map((c) => `${r}.${c}`)).flat();
  // Each size is compiled the first time it is needed (a 500-row INSERT takes milliseconds to build).
  const compiled = (count: number): Precompiled<unknown, string> =>
    (byCount[count] ??= precompile(db, names(count), (p) =>
      db
        .insertInto(table)
        .values(Array.from({ length: count }, (_, r) => Object.fromEntries(columns.map((c) => [c, p[`${r}.${c}`]])))),
    ));
  const bind = (rows: readonly Row[]): CompiledQuery[] => {
    const out: CompiledQuery[] = [];
    for (let start = 0; start < rows.length;) {
      const left = rows.length - start;
      const size = largestFirst.find((n) => n <= left)!;
      // Values row by row, column by column: the order of `names(size)`.
      const values = new Array<unknown>(size * columns.length);
      let k = 0;
      for (let r = start; r < start + size; r++) {
        const row = rows[r]!;
        for (const c of columns) values[k++] = row[c] ?? null;
      }
      start += size;
      out.push(compiled(size).bindOrdered(values));
    }
    return out;
  };
  return Object.assign(
    async (rows: readonly Row[], on: Kysely<any> = db) => {
      for (const q of bind(rows)) await on.executeQuery(q);
    },
    { bind },
  );
}

/** A precompiled multi-row INSERT: run it through Kysely, or `bind` rows for a direct run. */
export interface PrecompiledInsert<Row> {
  (rows: readonly Row[], on?: Kysely<any>): Promise<void>;
  /** The INSERT statements for these rows (one per chunk), to run elsewhere. */
  bind(rows: readonly Row[]): CompiledQuery[];
}
