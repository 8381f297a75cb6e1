// A node:test reporter that records how long each test file's tests took, for run-tests.mjs to name
// the slowest files at the end. Per file: the sum of its top-level tests' and suites' durations (a
// suite's includes the file's `before` hooks), and the wall-clock span from its first to its last
// reported result. One JSON line per file, written when the run ends.
export default async function* durations(source) {
  const files = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (!file || nesting !== 0) continue;
    const now = Date.now();
    const f = files.get(file) ?? { file, tests_ms: 0, first: now, last: now, failed: 0 };
    f.tests_ms += details?.duration_ms ?? 0;
    f.last = now;
    if (event.type === 'test:fail') f.failed += 1;
    files.set(file, f);
  }
  for (const f of files.values()) yield `${JSON.stringify(f)}\n`;
}
