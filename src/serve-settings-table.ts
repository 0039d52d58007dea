import { SERVE_SETTINGS } from './config.js';

const BEGIN =
  '<!-- BEGIN generated serve settings: node --import tsx scripts/render-serve-settings.ts (a test compares) -->';
const END = '<!-- END generated serve settings -->';

/** The `shouquan serve` configuration reference as a Markdown table, one row per SERVE_SETTINGS entry. */
export function renderServeSettingsTable(
  settings: ReadonlyArray<readonly [string, string, string, string]> = SERVE_SETTINGS,
): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = settings.map(
    ([flag, env, meaning, fallback]) => `| \`--${flag}\` | \`${env}\` | ${cell(fallback)} | ${cell(meaning)} |`,
  );
  return ['| flag | environment variable | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Replace the generated section of a document (between the BEGIN and END markers) with the current table. */
export function replaceServeSettingsSection(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start === -1 || end === -1 || end < start)
    throw new Error('the document has no generated serve settings section (BEGIN/END markers)');
  return `${doc.slice(0, start + BEGIN.length)}\n${renderServeSettingsTable()}\n${doc.slice(end)}`;
}

export const SERVE_SETTINGS_MARKERS = { BEGIN, END } as const;
