import type { AppContext } from './context.js';

/** What a feature's service functions get: the context, minus nothing (kept as one name for clarity). */
export type Services = AppContext;
