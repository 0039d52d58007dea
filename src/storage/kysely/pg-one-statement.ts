import { CompiledQuery } from 'kysely';

/**
 * One PostgreSQL statement made of data-modifying common table expressions (docs/adr/0186): the
 * writes of a grant — consume the code or the refresh token, end or extend the grant, insert the
 * tokens and the audit entries — in one round trip instead of one per statement plus BEGIN and
 * COMMIT. PostgreSQL runs every CTE of a statement once and to completion, atomically, whether or
 * not the final SELECT reads it (PostgreSQL manual, "Data-Modifying Statements in WITH"); a CTE
 * that reads another's output runs after it. Parameters are numbered in the order they are added.
 */
export class PgOneStatement {
  readonly params: unknown[];
  private readonly ctes: string[] = [];

  /** Start from a compiled query whose parameters become $1 … $n (e.g. a precompiled UPDATE used as the gate). */
  constructor(first?: CompiledQuery) {
    this.params = first ? [...first.parameters] : [];
  }

  /** A parameter placeholder for `value`. */
  p(value: unknown): string {
    this.params.push(value === undefined ? null : value);
    return `$${this.params.length}`;
  }

  /** Add `"name" as (sql)`. */
  with(name: string, sql: string): this {
    this.ctes.push(`"${name}" as (${sql})`);
    return this;
  }

  /**
   * `insert into "table" (columns) select <the row's values> from <from> [where <where>]`: one row, written only
   * when `from` has a row (the gate). The parameters take their types from the target columns, as in a VALUES list.
   */
  insertRow(
    table: string,
    columns: readonly string[],
    row: Record<string, unknown>,
    from: string,
    where?: string,
  ): string {
    const cols = columns.map((c) => `"${c}"`).join(', ');
    const values = columns.map((c) => this.p(row[c] ?? null)).join(', ');
    return `insert into "${table}" (${cols}) select ${values} from ${from}${where ? ` where ${where}` : ''}`;
  }

  /** The statement: every CTE added, then `select`. */
  build<R>(select: string): CompiledQuery<R> {
    return CompiledQuery.raw(`with ${this.ctes.join(', ')} ${select}`, this.params) as CompiledQuery<R>;
  }
}
