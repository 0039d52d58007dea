/** The one stylesheet: mobile first, readable contrast (WCAG AA), visible focus. */
export const stylesheet = `
:root { --fg:#1f2328; --muted:#57606a; --bg:#f4f5f7; --card:#fff; --line:#d0d7de; --brand:#d4380d; --brand-dark:#a8290a; --focus:#0969da; --err:#b42318; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; min-height:100vh; background:var(--bg); color:var(--fg); font:16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; display:flex; align-items:flex-start; justify-content:center; padding:24px 12px; }
.card { width:100%; max-width:440px; background:var(--card); border:1px solid var(--line); border-radius:12px; padding:28px 24px; box-shadow:0 1px 3px rgba(0,0,0,.06); }
@media (min-width: 768px) { body { align-items:center; padding:48px; } .card { padding:36px 40px; } }
.brand { display:flex; align-items:center; gap:10px; margin:0 0 20px; font-weight:600; color:var(--brand); letter-spacing:.02em; }
.brand .mark { width:32px; height:32px; border-radius:8px; background:var(--brand); color:#fff; display:grid; place-items:center; font-size:18px; }
h1 { font-size:1.35rem; line-height:1.3; margin:0 0 6px; }
.sub { color:var(--muted); margin:0 0 20px; }
.app { font-weight:600; color:var(--fg); }
label { display:block; font-weight:600; margin:14px 0 6px; }
input[type=text], input[type=password], input[type=search] { width:100%; padding:11px 12px; font-size:16px; border:1px solid #8c959f; border-radius:8px; background:#fff; color:var(--fg); }
input:focus-visible, button:focus-visible, a:focus-visible, .store input:focus-visible + span { outline:3px solid var(--focus); outline-offset:2px; }
.error { background:#fef3f2; border:1px solid #fecdca; color:var(--err); padding:10px 12px; border-radius:8px; margin:0 0 14px; }
.actions { display:flex; gap:12px; margin-top:24px; flex-wrap:wrap; }
button, input, select, textarea { font:inherit; }
button { flex:1 1 140px; min-height:44px; padding:10px 16px; font-size:16px; font-weight:600; border-radius:8px; border:1px solid transparent; cursor:pointer; }
button.primary { background:var(--brand); color:#fff; }
button.primary:hover { background:var(--brand-dark); }
button.secondary { background:#fff; color:var(--fg); border-color:#8c959f; }
button.secondary:hover { background:#f6f8fa; }
a.button { display:inline-block; min-height:44px; padding:10px 16px; border-radius:8px; font-weight:600; text-decoration:none; }
a.button.primary { background:var(--brand); color:#fff; }
details.sandbox-login { margin-top:16px; border-top:1px solid var(--line); padding-top:8px; }
details.sandbox-login summary { cursor:pointer; color:var(--muted, #57606a); }
ul.perms { margin:8px 0 18px; padding-left:20px; }
ul.perms li { margin:4px 0; }
fieldset { border:0; padding:0; margin:0; }
legend { font-weight:600; margin-bottom:8px; padding:0; }
.store { font-weight:500; display:flex; align-items:center; gap:10px; border:1px solid var(--line); border-radius:8px; padding:12px; margin:8px 0; cursor:pointer; }
.store:hover { border-color:#8c959f; }
.store:has(input:checked) { border-color:var(--brand); background:#fff8f5; box-shadow:inset 0 0 0 1px var(--brand); }
.store span { overflow-wrap:anywhere; }
.store input { flex:none; width:20px; height:20px; margin:0; accent-color:var(--brand); }
fieldset.perms { margin:8px 0 18px; }
.perm { display:flex; align-items:flex-start; gap:10px; padding:6px 0; cursor:pointer; }
.perm input { flex:none; width:20px; height:20px; margin:2px 0 0; accent-color:var(--brand); }
.perm span { overflow-wrap:anywhere; }
label small.meta { margin:0; }
.meta { color:var(--muted); font-size:.875rem; margin-top:18px; overflow-wrap:anywhere; }
.detail { color:var(--muted); font-size:.875rem; overflow-wrap:anywhere; }
.foot { display:flex; justify-content:space-between; color:var(--muted); font-size:.875rem; margin-top:18px; }
.foot a { color:var(--focus); }
pre { background:#f6f8fa; padding:12px; border-radius:8px; overflow-x:auto; white-space:pre-wrap; word-break:break-all; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.875rem; background:#f6f8fa; padding:1px 4px; border-radius:4px; overflow-wrap:anywhere; }
button { font-family:inherit; }
.appline { display:flex; align-items:center; gap:12px; }
.logo { width:44px; height:44px; border-radius:10px; background:#fbe9e3; color:var(--brand); display:grid; place-items:center; font-weight:700; font-size:1.2rem; flex:none; object-fit:cover; border:1px solid var(--line); }
label.remember { display:flex; align-items:center; gap:8px; font-weight:400; margin-top:14px; }
label.remember input { width:20px; height:20px; accent-color:var(--brand); }
.store-search { margin:0 0 14px; }
.store-search .meta { margin-top:6px; }
.searchrow { display:flex; gap:8px; }
.searchrow input { flex:1 1 auto; min-width:0; }
.searchrow button { flex:0 0 auto; }
body.view-tmall { --brand:#c40000; --brand-dark:#990000; }
body.view-wap .card { max-width:100%; border-radius:0; border-left:0; border-right:0; }
body.view-docs .card { max-width:960px; }
body.view-docs h2 { margin-top:28px; font-size:1.15rem; border-bottom:1px solid var(--line); padding-bottom:4px; }
details.op { border:1px solid var(--line); border-radius:8px; margin:8px 0; padding:8px 12px; }
details.op summary { cursor:pointer; }
details.op summary span { color:var(--muted); }
details.op table { border-collapse:collapse; width:100%; font-size:.875rem; margin:8px 0; }
details.op th, details.op td { border-top:1px solid var(--line); padding:4px 6px; text-align:left; vertical-align:top; }
.desc { white-space:pre-line; }
`;
