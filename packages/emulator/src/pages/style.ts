/**
 * The one stylesheet of the emulator's pages (Checkout, portal, 3-D Secure), served at
 * `/_emulator/assets/pages.css`. CSS variables for light and dark; system fonts only (nothing loaded
 * from outside).
 */
export const PAGES_CSS = `
:root{
  --bg:#ffffff;--panel:#f6f8fa;--text:#1a1f36;--muted:#5b6478;--line:#d5dbe3;--field:#ffffff;
  --accent:#4f46e5;--accent-text:#ffffff;--accent-hover:#4338ca;--focus:rgba(79,70,229,.35);
  --danger:#c0123c;--danger-bg:#fdecef;--ok:#0e7a4b;--ok-bg:#e6f6ee;--warn:#8a5300;--warn-bg:#fff4df;
  --badge:#fde7c2;--badge-text:#7a4100;--radius:8px;--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.1);
  color-scheme:light dark;
}
@media (prefers-color-scheme:dark){:root{
  --bg:#0f1320;--panel:#161b2b;--text:#e8ebf3;--muted:#a3abbe;--line:#30384d;--field:#0f1320;
  --accent:#8b85ff;--accent-text:#0f1320;--accent-hover:#a5a0ff;--focus:rgba(139,133,255,.4);
  --danger:#ff7a93;--danger-bg:#3a1620;--ok:#5fd39b;--ok-bg:#10291e;--warn:#ffc266;--warn-bg:#33260f;
  --badge:#4a3410;--badge-text:#ffd28a;
}}
*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:var(--text);background:var(--bg);-webkit-font-smoothing:antialiased}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{
  outline:none;box-shadow:0 0 0 3px var(--focus);border-radius:6px}
h1,h2,h3{line-height:1.25;margin:0}
h1{font-size:1.5rem;font-weight:650}
h2{font-size:1.125rem;font-weight:650}
h3{font-size:1rem;font-weight:600}
p{margin:0}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
  white-space:nowrap;margin:-1px;padding:0;border:0}
.badge{display:inline-block;font-size:.75rem;font-weight:650;letter-spacing:.02em;text-transform:uppercase;
  background:var(--badge);color:var(--badge-text);padding:.15rem .5rem;border-radius:999px;vertical-align:middle}
.muted{color:var(--muted)}
.small{font-size:.8125rem}
.amount{font-variant-numeric:tabular-nums}

/* Two-column payment layout: summary | form */
.split{min-height:100vh;display:grid;grid-template-columns:1fr 1fr}
.split>.summary{background:var(--panel);border-right:1px solid var(--line);display:flex;justify-content:flex-end}
.split>.payment{display:flex;justify-content:flex-start}
.summary-inner,.payment-inner{width:100%;max-width:440px;padding:56px 48px}
.merchant{display:flex;align-items:center;gap:.6rem;margin-bottom:2rem;flex-wrap:wrap}
.merchant a.back{display:inline-flex;align-items:center;gap:.4rem;color:var(--text);text-decoration:none;font-weight:600}
.merchant a.back:hover{text-decoration:underline}
.merchant .name{font-weight:600}
.logo{display:inline-grid;place-items:center;width:28px;height:28px;border-radius:50%;background:var(--accent);
  color:var(--accent-text);font-weight:700;font-size:.85rem}
.total-label{color:var(--muted);font-weight:500;margin-bottom:.25rem}
.total{font-size:2.25rem;font-weight:700;letter-spacing:-.01em;margin-bottom:.25rem}
.total-sub{color:var(--muted);margin-bottom:1.75rem}
.items{list-style:none;margin:0;padding:0}
.item{display:grid;grid-template-columns:1fr auto;gap:.25rem 1rem;padding:.85rem 0;border-bottom:1px solid var(--line)}
.item:first-child{padding-top:0}
.item .name{font-weight:600}
.item .detail{color:var(--muted);font-size:.8125rem;grid-column:1}
.item .price{text-align:right;font-weight:600}
.rows{margin:1rem 0 0;padding:0}
.row{display:flex;justify-content:space-between;gap:1rem;padding:.35rem 0}
.row dt{color:var(--muted)}
.row dd{margin:0;font-variant-numeric:tabular-nums}
.row.total-row{border-top:1px solid var(--line);margin-top:.5rem;padding-top:.85rem;font-weight:650}
.row.total-row dt{color:var(--text)}
.row.discount dd{color:var(--ok)}
.promo{margin-top:1rem}
.promo-row{display:flex;gap:.5rem}
.promo-row input{flex:1}

/* Forms */
form{margin:0}
fieldset{border:0;margin:0 0 1.25rem;padding:0;min-width:0}
legend{font-weight:650;font-size:1rem;margin-bottom:.6rem;padding:0}
label{display:block;font-size:.875rem;font-weight:550;margin-bottom:.35rem;color:var(--text)}
.field{margin-bottom:.9rem}
input[type=text],input[type=email],input[type=tel]{width:100%;font:inherit;color:var(--text);background:var(--field);
  border:1px solid var(--line);border-radius:var(--radius);padding:.62rem .75rem;box-shadow:var(--shadow);
  transition:border-color .15s,box-shadow .15s}
input::placeholder{color:var(--muted);opacity:.8}
input:focus{outline:none;border-color:var(--accent);box-shadow:0 0 0 3px var(--focus)}
input[aria-invalid=true]{border-color:var(--danger)}
input[aria-invalid=true]:focus{box-shadow:0 0 0 3px rgba(192,18,60,.25)}
.card-group{border:1px solid var(--line);border-radius:var(--radius);box-shadow:var(--shadow);background:var(--field)}
.card-group input{border:0;box-shadow:none;border-radius:0;background:transparent}
.card-group input:focus{box-shadow:inset 0 0 0 2px var(--accent);border-radius:var(--radius)}
.card-group:has([aria-invalid=true]){border-color:var(--danger)}
.card-group .number-wrap{position:relative;border-bottom:1px solid var(--line)}
.card-group .number-wrap input{padding-right:4.5rem}
.card-group .brand{position:absolute;right:.6rem;top:50%;transform:translateY(-50%);font-size:.7rem;font-weight:700;
  letter-spacing:.03em;text-transform:uppercase;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:.05rem .35rem;
  background:var(--bg)}
.card-group .brand:empty{display:none}
.card-group .pair{display:grid;grid-template-columns:1fr 1fr}
.card-group .pair>div+div{border-left:1px solid var(--line)}
.card-labels{display:flex;justify-content:space-between;gap:.5rem}
.field-error{color:var(--danger);font-size:.8125rem;margin-top:.35rem}
.field-error:empty{display:none}
.alert{border-radius:var(--radius);padding:.75rem .9rem;margin-bottom:1.1rem;font-size:.9rem}
.alert.error{background:var(--danger-bg);color:var(--danger);border:1px solid currentColor}
.alert.ok{background:var(--ok-bg);color:var(--ok);border:1px solid currentColor}
.alert.info{background:var(--warn-bg);color:var(--warn);border:1px solid currentColor}
.alert strong{display:block;margin-bottom:.15rem}
.btn{display:inline-flex;align-items:center;justify-content:center;gap:.55rem;font:inherit;font-weight:600;
  border-radius:var(--radius);border:1px solid transparent;padding:.7rem 1.1rem;cursor:pointer;text-decoration:none;
  transition:background .15s,border-color .15s}
.btn-primary{background:var(--accent);color:var(--accent-text);width:100%;font-size:1rem;padding:.85rem 1rem}
.btn-primary:hover{background:var(--accent-hover)}
.btn-secondary{background:var(--bg);color:var(--text);border-color:var(--line)}
.btn-secondary:hover{border-color:var(--muted)}
.btn-danger{background:var(--bg);color:var(--danger);border-color:currentColor}
.btn[disabled]{opacity:.7;cursor:progress}
.spinner{width:1rem;height:1rem;border-radius:50%;border:2px solid currentColor;border-right-color:transparent;
  display:none;animation:spin .7s linear infinite}
.busy .spinner{display:inline-block}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spinner{animation-duration:2s}}
.fineprint{color:var(--muted);font-size:.8125rem;margin-top:1rem;text-align:center}
.test-cards{margin-top:1.25rem;font-size:.8125rem;color:var(--muted);border:1px dashed var(--line);border-radius:var(--radius);padding:.6rem .8rem}
.test-cards summary{cursor:pointer;font-weight:600;color:var(--text)}
.test-cards ul{margin:.5rem 0 0;padding-left:1.1rem}
.test-cards code{font-size:.8125rem}

/* Single-card pages (3-D Secure, closed sessions, portal) */
.page{max-width:760px;margin:0 auto;padding:40px 24px 64px}
.center{min-height:100vh;display:grid;place-items:center;padding:24px}
.card{background:var(--bg);border:1px solid var(--line);border-radius:12px;box-shadow:var(--shadow);padding:28px}
.narrow{width:100%;max-width:440px}
.topbar{display:flex;align-items:center;justify-content:space-between;gap:1rem;margin-bottom:2rem;flex-wrap:wrap}
.stack>*+*{margin-top:1rem}
.actions{display:flex;gap:.6rem;flex-wrap:wrap;margin-top:1.25rem}
.actions .btn{flex:1 1 10rem;width:auto}
.actions form{flex:1 1 12rem;display:flex}
.actions form .btn{flex:1;width:auto}
.section-title{margin-bottom:.9rem}
.card>h1,.card h1{margin-bottom:.6rem}
.narrow-center{max-width:520px;margin:0 auto}
.status-icon{width:44px;height:44px;border-radius:50%;display:grid;place-items:center;font-size:1.3rem;font-weight:700;margin-bottom:1rem}
.status-icon.ok{background:var(--ok-bg);color:var(--ok)}
.status-icon.bad{background:var(--danger-bg);color:var(--danger)}
.status-icon.info{background:var(--warn-bg);color:var(--warn)}
.bank{display:flex;align-items:center;justify-content:space-between;border-bottom:1px solid var(--line);padding-bottom:.9rem;margin-bottom:1.1rem}
.bank .mark{font-weight:800;letter-spacing:.04em}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:1rem 0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}

/* Portal */
.section{margin-top:2rem}
.section>h2{margin-bottom:.75rem}
.sub-card{border:1px solid var(--line);border-radius:12px;padding:20px;box-shadow:var(--shadow)}
.sub-card+.sub-card{margin-top:1rem}
.sub-head{display:flex;justify-content:space-between;align-items:flex-start;gap:1rem;flex-wrap:wrap}
.pill{display:inline-block;font-size:.75rem;font-weight:650;border-radius:999px;padding:.1rem .55rem;background:var(--panel);
  color:var(--muted);border:1px solid var(--line);text-transform:capitalize}
.pill.active,.pill.paid,.pill.trialing{background:var(--ok-bg);color:var(--ok);border-color:transparent}
.pill.past_due,.pill.open,.pill.incomplete,.pill.canceling{background:var(--warn-bg);color:var(--warn);border-color:transparent}
.pill.canceled,.pill.void,.pill.uncollectible,.pill.unpaid{background:var(--danger-bg);color:var(--danger);border-color:transparent}
.plans{display:grid;gap:.6rem;margin:.75rem 0}
.plan{display:flex;align-items:center;gap:.75rem;border:1px solid var(--line);border-radius:var(--radius);padding:.75rem .9rem;cursor:pointer}
.plan:has(input:checked){border-color:var(--accent);box-shadow:0 0 0 1px var(--accent)}
.plan input{accent-color:var(--accent);width:1.1rem;height:1.1rem;margin:0}
.plan .plan-name{font-weight:600}
.plan .plan-price{margin-left:auto;font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{text-align:left;padding:.6rem .5rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600;font-size:.8125rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.pm{display:flex;align-items:center;gap:.75rem}
.pm .brand-box{font-size:.7rem;font-weight:800;text-transform:uppercase;border:1px solid var(--line);border-radius:4px;padding:.15rem .4rem}
.back-link{display:inline-flex;gap:.4rem;align-items:center;font-weight:600;text-decoration:none;color:var(--text)}
.back-link:hover{text-decoration:underline}

@media (max-width:820px){
  .split{grid-template-columns:1fr;min-height:0}
  .split>.summary{border-right:0;border-bottom:1px solid var(--line);justify-content:center}
  .split>.payment{justify-content:center}
  .summary-inner,.payment-inner{max-width:520px;padding:24px 20px}
  .merchant{margin-bottom:1.25rem}
  .total{font-size:1.85rem}
  .page{padding:24px 16px 48px}
  .card{padding:20px}
  dl.facts dd{text-align:left}
  .hide-phone{display:none}
}
`;
