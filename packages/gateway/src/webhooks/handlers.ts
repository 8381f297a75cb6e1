import type { EventHandlers } from './apply.js';

/** Event type → handler. Types not listed are stored and marked ignored. */
export const eventHandlers: EventHandlers = {};
