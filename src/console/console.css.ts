/** Stylesheet for the console, seller center and admin pages: mobile first, WCAG AA contrast, visible focus. */
export const consoleStylesheet = `
:root { --fg:#1f2328; --muted:#57606a; --bg:#f4f5f7; --card:#fff; --line:#d0d7de; --brand:#d4380d; --brand-dark:#a8290a; --focus:#0969da; --err:#b42318; --ok:#1a7f37; }
* { box-sizing:border-box; }
html { -webkit-text-size-adjust:100%; }
body { margin:0; min-height:100vh; background:var(--bg); color:var(--fg); font:16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; }
a { color:var(--focus); }
.top { background:#fff; border-bottom:1px solid var(--line); }
.top .in { max-width:1040px; margin:0 auto; padding:10px 16px; display:flex; align-items:center; gap:12px; flex-wrap:wrap; }
.brand { display:flex; align-items:center; gap:10px; font-weight:600; color:var(--brand); text-decoration:none; margin-right:auto; }
.brand .mark { width:32px; height:32px; border-radius:8px; background:var(--brand); color:#fff; display:grid; place-items:center; font-size:18px; flex:none; }
.brand .area { color:var(--fg); font-weight:500; }
.top .who { color:var(--muted); font-size:.875rem; }
.top form { margin:0; }
.top button.link, .top a { font-size:.875rem; }
button.link { background:none; border:0; padding:4px; min-height:0; color:var(--focus); text-decoration:underline; cursor:pointer; font:inherit; font-size:.875rem; }
.wrap { max-width:1040px; margin:0 auto; padding:20px 12px 48px; }
.wrap.narrow { max-width:460px; }
.wrap.medium { max-width:760px; }
.card h1 { margin-bottom:14px; }
.card h1 + .sub { margin-top:-8px; }
@media (min-width:768px) { .wrap { padding:32px 24px 64px; } .wrap.narrow { padding-top:56px; } }
.card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:20px 18px; margin:0 0 16px; box-shadow:0 1px 3px rgba(0,0,0,.05); }
@media (min-width:768px) { .card { padding:24px 28px; } }
h1 { font-size:1.4rem; line-height:1.3; margin:0 0 6px; }
h2 { font-size:1.1rem; margin:0 0 12px; }
.sub { color:var(--muted); margin:0 0 18px; }
label { display:block; font-weight:600; margin:14px 0 6px; }
label.check { display:flex; align-items:center; gap:8px; font-weight:400; }
label.check input { width:20px; height:20px; accent-color:var(--brand); }
input[type=text], input[type=password], input[type=url], input[type=number], input[type=search], textarea, select { width:100%; padding:10px 12px; font:inherit; font-size:16px; border:1px solid #8c959f; border-radius:8px; background:#fff; color:var(--fg); }
textarea { min-height:88px; resize:vertical; }
input[readonly] { background:#f6f8fa; font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.9rem; }
input:focus-visible, textarea:focus-visible, select:focus-visible, button:focus-visible, a:focus-visible { outline:3px solid var(--focus); outline-offset:2px; }
.hint { color:var(--muted); font-size:.875rem; margin:4px 0 0; }
.error { background:#fef3f2; border:1px solid #fecdca; color:var(--err); padding:10px 12px; border-radius:8px; margin:0 0 14px; }
.notice { background:#eefbf1; border:1px solid #aceebb; color:#116329; padding:10px 12px; border-radius:8px; margin:0 0 14px; }
.warn { background:#fff8c5; border:1px solid #eed888; color:#6a5200; padding:10px 12px; border-radius:8px; margin:0 0 14px; }
.actions { display:flex; gap:12px; margin-top:20px; flex-wrap:wrap; }
button, .button { display:inline-flex; align-items:center; justify-content:center; min-height:44px; padding:8px 16px; font:inherit; font-size:16px; font-weight:600; border-radius:8px; border:1px solid transparent; cursor:pointer; text-decoration:none; }
button.primary, .button.primary { background:var(--brand); color:#fff; }
button.primary:hover, .button.primary:hover { background:var(--brand-dark); }
button.secondary, .button.secondary { background:#fff; color:var(--fg); border-color:#8c959f; }
button.secondary:hover { background:#f6f8fa; }
button.danger { background:#fff; color:var(--err); border-color:#f1aeb5; }
button.danger:hover { background:#fef3f2; }
button.small { min-height:36px; padding:4px 12px; font-size:.875rem; }
.full { width:100%; }
.row { display:flex; align-items:center; gap:12px; flex-wrap:wrap; }
.row .grow { flex:1 1 auto; min-width:0; }
.list { list-style:none; margin:0; padding:0; }
.item { display:flex; gap:14px; align-items:flex-start; padding:14px 0; border-top:1px solid var(--line); flex-wrap:wrap; }
.item:first-child { border-top:0; padding-top:0; }
.item .main { flex:1 1 260px; min-width:0; }
.item .name { font-weight:600; font-size:1.05rem; margin:0 0 4px; overflow-wrap:anywhere; }
.item form { margin:0; }
.logo { width:44px; height:44px; border-radius:10px; background:#fbe9e3; color:var(--brand); display:grid; place-items:center; font-weight:700; font-size:1.2rem; flex:none; object-fit:cover; border:1px solid var(--line); }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 14px; margin:6px 0 0; font-size:.925rem; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; overflow-wrap:anywhere; }
ul.stores { list-style:none; margin:0; padding:0; display:grid; gap:4px; }
ul.stores li { display:flex; align-items:center; justify-content:space-between; gap:8px; }
form.inline { display:inline; margin:0; }
.badge { display:inline-block; padding:1px 10px; border-radius:999px; font-size:.8rem; font-weight:600; border:1px solid; vertical-align:middle; white-space:nowrap; }
.badge.testing { color:#6a5200; background:#fff8c5; border-color:#eed888; }
.badge.submitted { color:#0550ae; background:#ddf4ff; border-color:#9cd1ff; }
.badge.live { color:#116329; background:#dafbe1; border-color:#aceebb; }
.badge.suspended { color:var(--err); background:#fef3f2; border-color:#fecdca; }
.grid2 { display:grid; gap:16px; }
@media (min-width:900px) { .grid2 { grid-template-columns:1fr 1fr; margin-bottom:16px; } .grid2 > .card { margin:0; } }
.kv { margin:0 0 12px; }
.kv label { margin-top:0; }
.tablewrap { overflow-x:auto; }
table { width:100%; border-collapse:collapse; font-size:.9rem; }
th, td { text-align:left; padding:8px 10px; border-top:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; border-top:0; }
code { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.875rem; background:#f6f8fa; padding:1px 4px; border-radius:4px; overflow-wrap:anywhere; }
.foot { color:var(--muted); font-size:.875rem; margin-top:16px; text-align:center; }
.muted { color:var(--muted); }
fieldset { border:0; padding:0; margin:0; }
legend { font-weight:600; margin:14px 0 6px; padding:0; }
input[readonly], textarea.mono { font-size:.8rem; }
textarea.mono { min-height:0; field-sizing:content; word-break:break-all; background:#f6f8fa; font-family:ui-monospace, SFMono-Regular, Menlo, monospace; }
.warn p.lead, .notice p.lead { margin:0 0 8px; }
.spaced { margin-top:14px; }
.nowrap { white-space:nowrap; }
td code { white-space:nowrap; }
h3 { font-size:1rem; margin:18px 0 8px; }
dl.stats { display:flex; flex-wrap:wrap; gap:12px; margin:0; }
dl.stats > div { flex:1 1 140px; border:1px solid var(--line); border-radius:10px; padding:10px 14px; }
dl.stats dt { color:var(--muted); font-size:.875rem; }
dl.stats dd { margin:2px 0 0; font-size:1.5rem; font-weight:700; font-variant-numeric:tabular-nums; }
dl.stats dd.bad, td.bad { color:var(--err); }
td.ok { color:var(--ok); }
ul.errors { margin:0; padding-left:20px; }
ul.errors li { margin:2px 0; }
ul.errors .count { color:var(--muted); font-variant-numeric:tabular-nums; }
table caption { caption-side:top; text-align:left; font-weight:600; padding:16px 0 8px; }
th.num, td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
table.calls td.when { white-space:nowrap; font-variant-numeric:tabular-nums; }
/* Phones: each call is a two-line block (time and duration, then method and outcome); the ARIA roles keep it a table for screen readers. */
@media (max-width:640px) {
  table.calls thead { position:absolute; width:1px; height:1px; overflow:hidden; clip-path:inset(50%); white-space:nowrap; }
  table.calls, table.calls tbody { display:block; }
  table.calls tr { display:grid; grid-template-columns:1fr auto; gap:2px 12px; padding:8px 0; border-top:1px solid var(--line); }
  table.calls td { border:0; padding:0; }
  table.calls td.when { color:var(--muted); font-size:.85rem; }
  table.calls td.method, table.calls td.ok, table.calls td.bad { grid-column:1 / -1; overflow-wrap:anywhere; }
  table.calls td.num { grid-row:1; grid-column:2; }
  table.calls caption { display:block; }
}
.wrap:not(.narrow) form:not(.row) input[type=password], .wrap:not(.narrow) input[type=number] { max-width:520px; }
.row input.grow { flex:1 1 160px; width:auto; }
.top .who { overflow-wrap:anywhere; }
.adminnav { display:flex; flex-wrap:wrap; gap:4px 16px; margin:0 0 16px; }
.adminnav a { padding:6px 2px; font-weight:600; text-decoration:none; border-bottom:2px solid transparent; }
.adminnav a.current { border-bottom-color:var(--brand, #d4380d); }
.filters .row select { width:auto; flex:0 0 auto; }
.filters .row button { flex:0 0 auto; }
.filters { margin-bottom:16px; }
.pager { display:flex; gap:16px; margin:12px 0 0; }
ul.plain { list-style:none; padding:0; margin:0 0 12px; }
ul.plain li { padding:2px 0; overflow-wrap:anywhere; }
a.button { display:inline-flex; align-items:center; justify-content:center; min-height:36px; padding:6px 14px; border-radius:8px; border:1px solid #8c959f; text-decoration:none; font-weight:600; color:inherit; }
.sr-only { position:absolute; width:1px; height:1px; padding:0; margin:-1px; overflow:hidden; clip:rect(0,0,0,0); white-space:nowrap; border:0; }
table.audit td { vertical-align:top; }
details.sandbox-login { margin-top:16px; border-top:1px solid var(--line); padding-top:8px; }
details.sandbox-login summary { cursor:pointer; }
`;
