import { renderErrorTables } from './errors.js';
import { gatewayMethods } from './methods/index.js';
import { argsOf } from './methods/method.js';

/** docs/gateway.md's method table, from the method declarations (docs/adr/0166). */
export function renderMethodTable(): string {
  const rows = gatewayMethods.map((m) => {
    const args = Object.entries(argsOf(m))
      .map(([name, a]) => `\`${name}\`${a.required ? '*' : ''}${a.hint ? ` (${a.hint})` : ''}`)
      .join(', ');
    const rest = m.rest ? `\`${m.rest.method} ${m.rest.path}\`${m.rest.status === 201 ? ' (201)' : ''}` : '—';
    const answer =
      typeof m.answer === 'function'
        ? 'the profile’s refresh fields'
        : Object.keys((m.answer.properties as Record<string, unknown> | undefined) ?? {})
            .map((k) => `\`${k}\``)
            .join(', ');
    const permission = m.permission ? `\`${m.permission}\`` : m.needsSession ? '—' : '(signature only)';
    return `| \`<p>.${m.name}\` | ${permission} | ${rest} | ${args || '—'} | ${answer} |`;
  });
  return ['| Method | Permission | REST | Arguments (* required) | Answers |', '|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/**
 * The generated parts of docs/gateway.md, each between a BEGIN and an END marker
 * (`node --import tsx scripts/render-gateway-tables.ts` rewrites them; `docs-tables.test.ts` compares).
 */
export const GENERATED_SECTIONS: readonly { name: string; render: () => string }[] = [
  { name: 'gateway method table', render: renderMethodTable },
  { name: 'gateway error tables', render: renderErrorTables },
];

const begin = (name: string) =>
  `<!-- BEGIN generated ${name}: node --import tsx scripts/render-gateway-tables.ts (a test compares) -->`;
const end = (name: string) => `<!-- END generated ${name} -->`;

/** The text a section has in `doc` (between its markers), or undefined without its markers. */
export function sectionOf(doc: string, name: string): string | undefined {
  const a = doc.indexOf(begin(name));
  const b = doc.indexOf(end(name));
  if (a < 0 || b < a) return undefined;
  return doc.slice(a + begin(name).length, b);
}

/** `doc` with every generated section rewritten. */
export function replaceGeneratedTables(doc: string): string {
  let out = doc;
  for (const s of GENERATED_SECTIONS) {
    const a = out.indexOf(begin(s.name));
    const b = out.indexOf(end(s.name));
    if (a < 0 || b < a) throw new Error(`docs/gateway.md lacks the markers of the generated ${s.name}`);
    out = `${out.slice(0, a + begin(s.name).length)}\n${s.render()}\n${out.slice(b)}`;
  }
  return out;
}
