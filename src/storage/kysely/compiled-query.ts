import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

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
): (values: Record<Names, unknown>, on?: Kysely<any>) => Promise<QueryResult<Row>> {
  const marker = `\u0000precompiled:${Math.random().toString(36).slice(2)}:`;
  const placeholders = Object.fromEntries(names.map((n) => [n, `${marker}${n}`])) as Record<Names, string>;
  const compiled = build(placeholders).compile();
  const slots: Array<{ index: number; name: Names }> = [];
  compiled.parameters.forEach((p, index) => {
    if (typeof p === 'string' && p.startsWith(marker)) slots.push({ index, name: p.slice(marker.length) as Names });
  });
  for (const n of names) {
    if (slots.filter((s) => s.name === n).length !== 1) throw new Error(`precompile: placeholder ${n} must appear exactly once`);
  }
  const { sql } = compiled;
  const base = [...compiled.parameters];
  return (values, on = db) => {
    const params = base.slice();
    for (const s of slots) params[s.index] = values[s.name];
    return on.executeQuery<Row>(CompiledQuery.raw(sql, params));
  };
}
