// The overview page: a few headline figures, then one card per chart. Each chart is drawn in the
// browser by uPlot from the figures in its data-chart attribute (assets/console.js), and the same
// figures are in a table under it (for screen readers, for copying, and without script).
import { count, dateTime, digitsOf, money } from '../pages/format.js';
import { type Html, html, type Interpolation } from '../pages/html.js';
import { major, type Overview, RANGES } from './overview.js';
import { viewHead } from './ui.js';

/** What console.js draws: x values (unix seconds), one or two y axes, and the series. */
export interface ChartSpec {
  x: number[];
  xUnit: 'day' | 'minute';
  axes: { label: string; format: 'count' | 'ms' | { currency: string } }[];
  series: { label: string; values: (number | null)[]; axis: 0 | 1; kind: 'line' | 'bar'; color: number }[];
}

interface TableColumn {
  label: string;
  cell(i: number): Interpolation;
}

function chartCard(o: {
  id: string;
  title: string;
  note: string;
  summary: string;
  spec: ChartSpec;
  rowLabel: string;
  rowLabels: string[];
  columns: TableColumn[];
}): Html {
  // Newest first in the table: what an operator reads first.
  const order = o.rowLabels.map((_, i) => o.rowLabels.length - 1 - i);
  return html`<section class="card chart-card" aria-labelledby="${o.id}-title">
<h2 id="${o.id}-title">${o.title}</h2>
<p class="muted small chart-note">${o.note}</p>
<div class="chart" id="${o.id}" role="img" aria-label="${o.summary}" data-chart="${JSON.stringify(o.spec)}"></div>
<details class="chart-table"><summary>Figures</summary>
<div class="table-wrap"><table>
<caption class="visually-hidden">${o.title}: figures</caption>
<thead><tr><th scope="col">${o.rowLabel}</th>${o.columns.map((c) => html`<th scope="col" class="num">${c.label}</th>`)}</tr></thead>
<tbody>${order.map((i) => html`<tr><th scope="row">${o.rowLabels[i]}</th>${o.columns.map((c) => html`<td class="num">${c.cell(i)}</td>`)}</tr>`)}</tbody>
</table></div>
</details>
</section>`;
}

function segment(href: string, label: string, current: boolean): Html {
  return html`<a href="${href}" aria-current="${current ? 'true' : 'false'}">${label}</a>`;
}

function tile(label: string, value: Interpolation, detail: Interpolation, tone?: 'bad' | 'ok'): Html {
  return html`<div class="card tile${tone ? ` ${tone}` : ''}"><p class="tile-label">${label}</p><p class="tile-value">${value}</p><p class="muted small">${detail}</p></div>`;
}

/**
 * whole() for the whole numbers the overview shows, the same text ("12,345") without Intl, which the
 * figures tables call hundreds of times a page (0.7 ms of CPU a page with Intl).
 */
export function whole(n: number): string {
  if (!Number.isSafeInteger(n)) return count(n);
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** Per currency, what money() puts around the amount's digits ("$" and "", "CHF " and ""), if that is all it does. */
const moneyShapes = new Map<string, { prefix: string; suffix: string; digits: number } | null>();

function moneyShape(currency: string): { prefix: string; suffix: string; digits: number } | null {
  let shape = moneyShapes.get(currency);
  if (shape !== undefined) return shape;
  const digits = digitsOf(currency);
  const core = (major: number, minor: number) =>
    `${whole(major)}${digits > 0 ? `.${String(minor).padStart(digits, '0')}` : ''}`;
  const probe = money(1_234_567 * 10 ** digits + (digits > 0 ? 1 : 0), currency);
  const at = probe.indexOf(core(1_234_567, digits > 0 ? 1 : 0));
  shape =
    at < 0
      ? null
      : { prefix: probe.slice(0, at), suffix: probe.slice(at + core(1_234_567, 1).length), digits };
  // Kept only if it gives money()'s text for a few more amounts.
  for (const v of [0, 5, 1_000 * 10 ** digits + 1, -42 * 10 ** digits])
    if (shape && moneyFast(v, shape) !== money(v, currency)) shape = null;
  moneyShapes.set(currency, shape);
  return shape;
}

function moneyFast(amount: number, shape: { prefix: string; suffix: string; digits: number }): string {
  const abs = Math.abs(amount);
  const unit = 10 ** shape.digits;
  const minor = shape.digits > 0 ? `.${String(abs % unit).padStart(shape.digits, '0')}` : '';
  const text = `${shape.prefix}${whole(Math.trunc(abs / unit))}${minor}${shape.suffix}`;
  return amount < 0 ? `−${text}` : text;
}

/**
 * money()'s text for the overview's amounts (whole minor units), built from the currency's symbol
 * and whole() instead of Intl for each of the hundreds of amounts of a page; money() itself where
 * the shape is not that simple.
 */
export function amount(value: number, currency: string): string {
  const shape = Number.isSafeInteger(value) ? moneyShape(currency) : null;
  return shape ? moneyFast(value, shape) : money(value, currency);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** shortDay() of a UTC day (YYYY-MM-DD): "Dec 3, 2026", without Intl. */
export function dayLabel(day: string): string {
  return `${MONTHS[Number(day.slice(5, 7)) - 1]} ${Number(day.slice(8, 10))}, ${day.slice(0, 4)}`;
}

const ms = (v: number | null) =>
  v === null ? html`<span class="muted">—</span>` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

export function overviewView(o: Overview, days: number, path: string): Html {
  const xDays = o.range.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
  const dayLabels = o.range.days.map(dayLabel);
  const cur = o.currency;
  const rev = o.revenue.find((r) => r.currency === cur);
  const last = o.range.days.length - 1;
  const q = (p: { days?: number; currency?: string | undefined }) => {
    const params = new URLSearchParams();
    params.set('days', String(p.days ?? days));
    const c = p.currency ?? cur;
    if (c) params.set('currency', c);
    return `${path}?${params}`;
  };
  const needs = o.backlog.dead_jobs + o.backlog.failed_events;
  const eventTotal = o.events.counts.reduce((a, b) => a + b, 0);
  const minuteLabels = o.events.minutes.map((m) => `${m.toISOString().slice(11, 16)} UTC`);
  const money0 = (value: number) => (cur ? amount(value, cur) : '—');
  const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);

  const charts: Html[] = [
    chartCard({
      id: 'chart-revenue',
      title: 'Revenue per day',
      note: cur
        ? `${cur.toUpperCase()}, gross (before refunds), by the day each payment was made (UTC).`
        : 'No payments in this period.',
      summary: cur
        ? `Revenue per day in ${cur.toUpperCase()}: ${money0(rev?.total ?? 0)} over ${days} days.`
        : 'No payments in this period.',
      spec: {
        x: xDays,
        xUnit: 'day',
        axes: [
          { label: cur ? cur.toUpperCase() : '', format: { currency: cur ?? 'usd' } },
          { label: 'payments', format: 'count' },
        ],
        series: [
          {
            label: 'Revenue',
            values: (rev?.perDay ?? xDays.map(() => 0)).map((v) => major(v, cur ?? 'usd')),
            axis: 0,
            kind: 'bar',
            color: 1,
          },
          { label: 'Payments', values: rev?.payments ?? xDays.map(() => 0), axis: 1, kind: 'line', color: 2 },
        ],
      },
      rowLabel: 'Day',
      rowLabels: dayLabels,
      columns: [
        ...o.revenue.map((r) => ({
          label: `Revenue ${r.currency.toUpperCase()}`,
          cell: (i: number) => amount(r.perDay[i]!, r.currency),
        })),
        ...o.revenue.map((r) => ({
          label: `Payments ${r.currency.toUpperCase()}`,
          cell: (i: number) => whole(r.payments[i]!),
        })),
      ],
    }),
    chartCard({
      id: 'chart-mrr',
      title: 'MRR and active subscriptions',
      note: `${cur ? cur.toUpperCase() : ''} monthly recurring revenue at the end of each day (yearly plans count one twelfth)${o.mrr.unpriced ? `; ${whole(o.mrr.unpriced)} subscriptions on prices outside the catalog count as active but add nothing` : ''}.`,
      summary: `MRR ${money0(o.mrr.perDay[last] ?? 0)} with ${whole(o.mrr.activePerDay[last] ?? 0)} active subscriptions today.`,
      spec: {
        x: xDays,
        xUnit: 'day',
        axes: [
          { label: cur ? `MRR ${cur.toUpperCase()}` : 'MRR', format: { currency: cur ?? 'usd' } },
          { label: 'subscriptions', format: 'count' },
        ],
        series: [
          {
            label: 'MRR',
            values: o.mrr.perDay.map((v) => major(v, cur ?? 'usd')),
            axis: 0,
            kind: 'line',
            color: 1,
          },
          { label: 'Active subscriptions', values: o.mrr.activePerDay, axis: 1, kind: 'line', color: 3 },
        ],
      },
      rowLabel: 'Day',
      rowLabels: dayLabels,
      columns: [
        { label: 'MRR', cell: (i) => money0(o.mrr.perDay[i]!) },
        { label: 'Active', cell: (i) => whole(o.mrr.activePerDay[i]!) },
      ],
    }),
    chartCard({
      id: 'chart-subscriptions',
      title: 'New and churned subscriptions',
      note: 'All currencies. New: started that day (first payment or trial). Churned: cancelled that day.',
      summary: `${whole(sum(o.subscriptions.newPerDay))} new and ${whole(sum(o.subscriptions.churnedPerDay))} churned subscriptions over ${days} days.`,
      spec: {
        x: xDays,
        xUnit: 'day',
        axes: [{ label: 'subscriptions', format: 'count' }],
        series: [
          { label: 'New', values: o.subscriptions.newPerDay, axis: 0, kind: 'bar', color: 3 },
          { label: 'Churned', values: o.subscriptions.churnedPerDay, axis: 0, kind: 'bar', color: 4 },
        ],
      },
      rowLabel: 'Day',
      rowLabels: dayLabels,
      columns: [
        { label: 'New', cell: (i) => whole(o.subscriptions.newPerDay[i]!) },
        { label: 'Churned', cell: (i) => whole(o.subscriptions.churnedPerDay[i]!) },
        { label: 'Active (all)', cell: (i) => whole(o.subscriptions.activePerDay[i]!) },
      ],
    }),
    chartCard({
      id: 'chart-credits',
      title: 'Credits granted and consumed',
      note: 'Granted: packs, period grants and additions. Consumed: every deduction (use, refunds, adjustments down).',
      summary: `${whole(sum(o.credits.grantedPerDay))} credits granted and ${whole(sum(o.credits.consumedPerDay))} consumed over ${days} days.`,
      spec: {
        x: xDays,
        xUnit: 'day',
        axes: [{ label: 'credits', format: 'count' }],
        series: [
          { label: 'Granted', values: o.credits.grantedPerDay, axis: 0, kind: 'bar', color: 3 },
          { label: 'Consumed', values: o.credits.consumedPerDay, axis: 0, kind: 'bar', color: 2 },
        ],
      },
      rowLabel: 'Day',
      rowLabels: dayLabels,
      columns: [
        { label: 'Granted', cell: (i) => whole(o.credits.grantedPerDay[i]!) },
        { label: 'Consumed', cell: (i) => whole(o.credits.consumedPerDay[i]!) },
      ],
    }),
    chartCard({
      id: 'chart-events',
      title: 'Webhook events per minute',
      note: 'The last hour (UTC). Apply latency: from receipt to applied, p50 and p99 of each minute’s events.',
      summary: `${whole(eventTotal)} webhook events in the last hour.`,
      spec: {
        x: o.events.minutes.map((m) => m.getTime() / 1000),
        xUnit: 'minute',
        axes: [
          { label: 'events / min', format: 'count' },
          { label: 'latency', format: 'ms' },
        ],
        series: [
          { label: 'Events', values: o.events.counts, axis: 0, kind: 'bar', color: 1 },
          { label: 'p50 latency', values: o.events.p50, axis: 1, kind: 'line', color: 3 },
          { label: 'p99 latency', values: o.events.p99, axis: 1, kind: 'line', color: 4 },
        ],
      },
      rowLabel: 'Minute',
      rowLabels: minuteLabels,
      columns: [
        { label: 'Events', cell: (i) => whole(o.events.counts[i]!) },
        { label: 'Failed', cell: (i) => whole(o.events.failed[i]!) },
        { label: 'p50', cell: (i) => ms(o.events.p50[i]!) },
        { label: 'p99', cell: (i) => ms(o.events.p99[i]!) },
      ],
    }),
    chartCard({
      id: 'chart-failures',
      title: 'Failed and dead jobs',
      note: 'Jobs that used up their retries (dead) and webhook events that failed for good, per day.',
      summary: `${whole(sum(o.failures.deadJobsPerDay))} dead jobs and ${whole(sum(o.failures.failedEventsPerDay))} failed events over ${days} days.`,
      spec: {
        x: xDays,
        xUnit: 'day',
        axes: [{ label: 'jobs and events', format: 'count' }],
        series: [
          { label: 'Dead jobs', values: o.failures.deadJobsPerDay, axis: 0, kind: 'bar', color: 4 },
          { label: 'Failed events', values: o.failures.failedEventsPerDay, axis: 0, kind: 'bar', color: 5 },
        ],
      },
      rowLabel: 'Day',
      rowLabels: dayLabels,
      columns: [
        { label: 'Dead jobs', cell: (i) => whole(o.failures.deadJobsPerDay[i]!) },
        { label: 'Failed events', cell: (i) => whole(o.failures.failedEventsPerDay[i]!) },
      ],
    }),
  ];

  return html`<div class="section-head overview-head"><div>${viewHead('Overview', 'What happened to the money, at a glance. Days are UTC days.')}<p class="muted small as-of">Figures as of <time datetime="${o.computedAt.toISOString()}">${dateTime(o.computedAt)}</time>; reload for newer ones.</p></div>
<div class="switches">
<nav class="segmented" aria-label="Period">${RANGES.map((d) => segment(q({ days: d }), `${d} days`, d === days))}</nav>
${o.currencies.length > 1 ? html`<nav class="segmented" aria-label="Currency">${o.currencies.map((c) => segment(q({ currency: c }), c.toUpperCase(), c === cur))}</nav>` : ''}
</div></div>
<div class="tiles">
${tile(`Revenue, ${days} days`, money0(rev?.total ?? 0), `${whole(rev?.count ?? 0)} payments${cur ? ` in ${cur.toUpperCase()}` : ''}`)}
${tile('MRR today', money0(o.mrr.perDay[last] ?? 0), `${whole(o.mrr.activePerDay[last] ?? 0)} active subscriptions${cur ? ` in ${cur.toUpperCase()}` : ''}`)}
${tile('Webhook events, last hour', whole(eventTotal), `${whole(o.events.failed.reduce((a, b) => a + b, 0))} failed`)}
${tile('Needs attention', whole(needs), `${whole(o.backlog.dead_jobs)} dead jobs, ${whole(o.backlog.failed_events)} failed events; ${whole(o.backlog.retrying_jobs + o.backlog.retrying_events)} being retried`, needs > 0 ? 'bad' : 'ok')}
</div>
<div class="charts">${charts}</div>`;
}
