import type { App } from '../../core/app.js';
import type { Ctx } from '../../core/context.js';

/**
 * What the payment engine needs from a context: state, time and events. A request's `Ctx` is one;
 * `engineCtx(app)` builds one outside any request (test-clock advances, timers, control routes), whose
 * events carry `request: {id: null}` as Stripe's automatic events do.
 */
export type EngineCtx = Pick<Ctx, 'app' | 'store' | 'now' | 'emit'>;

export function engineCtx(app: App): EngineCtx {
  return {
    app,
    store: app.store,
    now: () => app.clock.now(),
    emit: (type, object, previous) => app.events.emit(type, object, previous),
  };
}
