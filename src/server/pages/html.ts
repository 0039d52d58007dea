import type { Lang } from './i18n.js';

/** Escape text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tagged template whose interpolations are escaped unless wrapped with `raw()`. */
export class Raw {
  constructor(readonly html: string) {}
}
export const raw = (html: string) => new Raw(html);

export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    if (v instanceof Raw) out += v.html;
    else if (Array.isArray(v)) out += v.map((x) => (x instanceof Raw ? x.html : esc(x))).join('');
    else if (v !== undefined && v !== null && v !== false) out += esc(v);
    out += strings[i + 1] ?? '';
  });
  return new Raw(out);
}

/** The page frame shared by every server-rendered page. No scripts, no third-party resources. */
export function layout(opts: { lang: Lang; title: string; body: Raw; variant?: string | null }): string {
  const variant = opts.variant ? ` class="view-${esc(opts.variant)}"` : '';
  return `<!doctype html>
<html lang="${opts.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(opts.title)}</title>
<link rel="stylesheet" href="/assets/shouquan.css">
</head>
<body${variant}>
<main class="card">
${opts.body.html}
</main>
</body>
</html>
`;
}
