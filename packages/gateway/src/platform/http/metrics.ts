import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** Counts one answer (also those of the fast path, which bypasses Fastify's hooks). */
  observe(method: string, route: string, status: number, seconds: number): void;
  /** The onResponse hook that counts Fastify's answers (the fast path calls `observe` itself). */
  onResponse: onResponseHookHandler;
}

/**
 * Prometheus metrics for one app: requests by route pattern and status, latency histograms, and
 * the process metrics (CPU, memory, event loop lag, GC). Route labels are patterns, never raw URLs,
 * so a scan of random paths cannot blow up the series count.
 */
export function registerMetrics(app: FastifyInstance): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'paydesk_' });
  const requests = new Counter({
    name: 'paydesk_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'paydesk_http_request_duration_seconds',
    help: 'Time from request received to response sent, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const observe = (method: string, route: string, status: number, seconds: number) => {
    requests.inc({ method, route, status: String(status) });
    duration.observe({ method, route }, seconds);
  };
  // A callback hook rather than an async one: no promise per response.
  const onResponse: onResponseHookHandler = (request, reply, done) => {
    observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  };
  app.addHook('onResponse', onResponse);

  return { registry, observe, onResponse };
}
