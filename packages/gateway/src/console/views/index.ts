// The console's table views (console-tables owns this folder): each module exports a ConsoleView,
// listed here in nav order after the overview. See console/kit.ts for the contract.
import type { ConsoleView } from '../kit.js';

export const consoleViews: readonly ConsoleView[] = [];
