import type { Ctx } from '../../core/context.js';
import type { Kind } from '../../core/store.js';

/**
 * Runs `fn`; if it throws, removes what it created (every object announced by a `*.created` event in
 * the meantime, and those events), so a failed `error_if_incomplete` leaves nothing behind. Webhook
 * deliveries already queued for those events are not recalled.
 */
export function withRollback<T>(ctx: Ctx, fn: () => T): T {
  const events = ctx.store.c('event');
  const mark = events.end;
  try {
    return fn();
  } catch (err) {
    const created: { kind: string; id: string }[] = [];
    const emitted: string[] = [];
    for (let i = mark; i < events.end; i++) {
      const e = events.at(i);
      if (e === undefined) continue;
      emitted.push(e.id);
      if (!e.type.endsWith('.created')) continue;
      const o = JSON.parse(e.object_json) as { id?: unknown; object?: unknown };
      if (typeof o.id === 'string' && typeof o.object === 'string')
        created.push({ kind: o.object, id: o.id });
    }
    for (const { kind, id } of created) {
      if (ctx.store.kinds().includes(kind)) ctx.store.c(kind as Kind).delete(id);
    }
    for (const id of emitted) events.delete(id);
    throw err;
  }
}
