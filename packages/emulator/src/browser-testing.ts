// Browser tests' shared machinery: Debian's Chromium through playwright-core, screenshots at desktop
// and phone width, and axe-core's accessibility check. Imported by tests only (playwright-core and
// axe-core are development dependencies).
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.PAYDESK_CHROMIUM ?? '/usr/bin/chromium';

/** The flags every browser test runs Chromium with (the machine has no network beyond loopback). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One browser per test file: `const browser = await launchBrowser(); after(() => browser.close());` */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Where the tests write screenshots: `screenshots/` at the repository's root (README names it). */
export const SCREENSHOTS_DIR =
  process.env.PAYDESK_SCREENSHOTS_DIR ?? fileURLToPath(new URL('../../../screenshots', import.meta.url));

export const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };

/**
 * Whether tests write screenshots. `PAYDESK_SCREENSHOTS=0` turns them off: .ci/run does so for the
 * second, PostgreSQL run of the same browser suites, which would only redraw the same pages into the
 * same files while the first run writes them.
 */
export const SCREENSHOTS_ON = process.env.PAYDESK_SCREENSHOTS !== '0';

/**
 * Writes `screenshots/<area>/<name>-1280.png` and `-390.png` (full page) and leaves the page at the
 * width it had. Does nothing when SCREENSHOTS_ON is false.
 */
export async function screenshots(page: Page, area: string, name: string): Promise<void> {
  if (!SCREENSHOTS_ON) return;
  const dir = join(SCREENSHOTS_DIR, area);
  mkdirSync(dir, { recursive: true });
  const before = page.viewportSize();
  for (const [label, size] of [
    ['1280', WIDTHS.desktop],
    ['390', WIDTHS.phone],
  ] as const) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(dir, `${name}-${label}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

let axeSource: string | undefined;

/** Runs axe-core (the local npm copy) in the page; returns the serious and critical violations. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => {
    // axe is the global the script above defines.
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run();
    return result.violations as { id: string; impact: string | null; help: string; nodes: unknown[] }[];
  });
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
}
