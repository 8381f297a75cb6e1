import type Stripe from 'stripe';

/** The API version the emulator speaks: the one the installed SDK is pinned to (tsc checks they match). */
export const API_VERSION: typeof Stripe.API_VERSION = '2026-10-28.endive';
