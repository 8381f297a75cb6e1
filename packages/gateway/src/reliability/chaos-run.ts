// npm run chaos [-- --lifecycles N --seed S --cohort C]: the full chaos run, with its figures.
// Exits 1 when any mismatch is found or the time budget is spent.
import { parseArgs } from 'node:util';
import { runChaos } from './chaos.js';

const { values } = parseArgs({
  options: {
    lifecycles: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '2024' },
    cohort: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
    'budget-minutes': { type: 'string', default: '30' },
    verbose: { type: 'boolean', default: false },
  },
});
const started = performance.now();
const report = await runChaos({
  lifecycles: Number(values.lifecycles),
  cohortSize: Number(values.cohort),
  seed: Number(values.seed),
  concurrency: Number(values.concurrency),
  faults: { duplicateRate: 0.3, dropRate: 0.1, reorderWindowMs: 3 },
  timeBudgetMs: Number(values['budget-minutes']) * 60_000,
  log: (line) => {
    if (values.verbose || !line.startsWith('  ')) {
      console.error(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);
    }
  },
});
const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`;
console.log(`lifecycles        ${report.lifecycles}  ${JSON.stringify(report.outcomes)}`);
console.log(`events emitted    ${report.events}`);
console.log(`deliveries        ${report.deliveries} (successful HTTP deliveries)`);
console.log(`duplicated        ${report.duplicated} events (${pct(report.duplicated, report.events)})`);
console.log(
  `reordered         ${report.reordered} events arrived after a newer one (${pct(report.reordered, report.events)})`,
);
console.log(
  `dropped           ${report.dropped} (${pct(report.dropped, report.events)}), recovered ${report.droppedRecovered}`,
);
console.log(`time              ${report.seconds} s`);
console.log(`mismatches        ${report.mismatches.length}`);
for (const m of report.mismatches.slice(0, 50)) console.log(`  ${m}`);
process.exitCode = report.mismatches.length === 0 ? 0 : 1;
