import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
  type onRequestAsyncHookHandler,
  type RouteOptions,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { adminRoutes } from './admin/routes.js';
import { catalogRoutes } from './catalog/routes.js';
import { checkoutPageRoutes } from './checkout/pages.js';
import { checkoutRoutes } from './checkout/routes.js';
import { compatRoutes } from './compat/index.js';
import type { ConsoleView } from './console/kit.js';
import { consoleRoutes } from './console/routes.js';
import type { AppContext } from './context.js';
import { creditRoutes } from './credits/routes.js';
import { customerRoutes } from './customers/routes.js';
import { disputeRoutes } from './disputes/routes.js';
import { notificationRoutes } from './notifications/routes.js';
import { opsRoutes } from './ops/routes.js';
import { loadAssets } from './pages/assets.js';
import { pageRoutes } from './pages/routes.js';
import { browserStripeFor } from './pages/stripe-js.js';
import { paymentRoutes } from './payments/routes.js';
import { createJwtVerifier } from './platform/auth/jwt.js';
import { registerAuth } from './platform/auth/plugin.js';
import { AppError, errorBody } from './platform/errors.js';
import { registerBodyParsers } from './platform/http/body-parsers.js';
import { registerErrorHandling } from './platform/http/error-handler.js';
import { FastPathServer } from './platform/http/fast-path.js';
import { guardFastPath, ReproducedHooks } from './platform/http/fast-path-guard.js';
import { type Metrics, registerMetrics } from './platform/http/metrics.js';
import { registerOpenApi } from './platform/http/openapi.js';
import { registerRateLimits } from './platform/http/rate-limit.js';
import { genRequestId, requestIdFor } from './platform/http/request-id.js';
import { registerRouteInventory } from './platform/http/route-inventory.js';
import { registerSecurityHeaders } from './platform/http/security-headers.js';
import { registerStorableText } from './platform/http/storable-text.js';
import { registerQueueMetrics } from './platform/queue/metrics.js';
import { portalRoutes } from './portal/routes.js';
import { queueAdminRoutes } from './queue-admin/routes.js';
import { refundRoutes } from './refunds/routes.js';
import { subscriptionRoutes } from './subscriptions/routes.js';
import { recoveryAdminRoutes } from './webhooks/admin-routes.js';
import { webhookRoutes } from './webhooks/routes.js';
import { whmcsRoutes } from './whmcs/routes.js';

export type App = FastifyInstance;

export interface BuildOptions {
  /** Extra plugins registered after paydesk's own routes (tests use this for probe routes). */
  plugins?: ReadonlyArray<(app: FastifyInstance) => Promise<void> | void>;
  /**
   * Extra plugins run on the app before paydesk's routes are registered, so that their hooks apply to
   * every route (tests use this for a stand-in of a rate-limit plugin).
   */
  beforeRoutes?: ReadonlyArray<(app: FastifyInstance) => Promise<void> | void>;
  /** The console's table views, instead of console/views/index.ts's (console tests add probe views). */
  consoleViews?: readonly ConsoleView[];
  /** Called for every route as it is registered (the route-inventory test lists them with it). */
  onRoute?: (route: RouteOptions) => void;
}

/** Builds the HTTP app from an explicit context. It does not listen: server.ts does. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<App> {
  let closing = false;
  let observe: Metrics['observe'] = () => {};
  const app = Fastify({
    // Stripe's webhook deliveries skip node:http's and Fastify's per-request machinery when they can
    // (platform/http/fast-path.ts); every other request is served as always.
    serverFactory: (handler, options) => {
      const server = new FastPathServer(handler, {
        logger: ctx.logger,
        bodyLimit: ctx.config.bodyLimit,
        requestId: requestIdFor,
        observe: (...a) => observe(...a),
        closing: () => closing,
      });
      // What Fastify sets on a server it makes itself (with a factory it leaves them to us): its
      // keep-alive of 72 s rather than node's 5 s, which would close Stripe's idle connections.
      const timeouts = options as {
        keepAliveTimeout?: number;
        requestTimeout?: number;
        connectionTimeout?: number;
      };
      server.keepAliveTimeout = timeouts.keepAliveTimeout ?? 72_000;
      server.requestTimeout = timeouts.requestTimeout ?? 0;
      server.setTimeout(timeouts.connectionTimeout ?? 0);
      return server;
    },
    // pino's Logger is a FastifyBaseLogger; the cast only narrows pino's extra generics away.
    loggerInstance: ctx.logger as FastifyBaseLogger,
    genReqId: genRequestId,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: ctx.config.bodyLimit,
    trustProxy:
      typeof ctx.config.trustProxy === 'boolean' ? ctx.config.trustProxy : [...ctx.config.trustProxy],
    // While closing, requests that arrive on kept-alive connections get the catalog's not_ready
    // (below) rather than Fastify's own 503 body.
    return503OnClosing: false,
    // A URL Fastify cannot decode (`%ED%A0%80`, `%zz`) is answered before any hook or route: in
    // paydesk's error shape, like every other error.
    frameworkErrors: (error, request, reply) => {
      const err =
        error.code === 'FST_ERR_BAD_URL'
          ? new AppError('bad_request', 'The URL is not valid (bad percent-encoding).')
          : new AppError('bad_request');
      // The reply is untyped here (no route); the status and body are the catalog's.
      const raw = reply as unknown as FastifyReply;
      raw
        .code(err.status)
        .header('request-id', request.id)
        .type('application/json; charset=utf-8')
        .send(errorBody(err, request.id));
    },
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // Every route's schemas are zod schemas, compiled by the zod type provider. Giving its compilers
    // here (rather than only through setValidatorCompiler) keeps Fastify from loading its default
    // ones, Ajv and fast-json-stringify, which nothing here uses (their loading showed in start-up
    // profiles: docs/benchmarks.md).
    schemaController: {
      compilersFactory: {
        buildValidator: () => validatorCompiler as never,
        buildSerializer: () => serializerCompiler as never,
      },
    },
  }).withTypeProvider<ZodTypeProvider>();

  // The hooks the fast path does the work of: a route with any other hook is left to Fastify.
  const reproduced = new ReproducedHooks();
  if (app.server instanceof FastPathServer) guardFastPath(app, app.server, reproduced);
  if (options.onRoute) app.addHook('onRoute', options.onRoute);

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('preClose', async () => {
    closing = true;
  });
  const requestIdAndClosing: onRequestAsyncHookHandler = async (request, reply) => {
    reply.header('request-id', request.id);
    if (closing) {
      reply.header('connection', 'close');
      throw new AppError('not_ready', 'The service is shutting down; retry on another instance.');
    }
  };
  app.addHook('onRequest', requestIdAndClosing);
  // The fast path writes the same request-id header, and leaves every request to Fastify once closing.
  reproduced.add('onRequest', requestIdAndClosing);

  registerRouteInventory(app);
  registerErrorHandling(app);
  // The fast path writes the same headers (API_SECURITY_HEADERS).
  reproduced.add('onSend', registerSecurityHeaders(app));
  registerBodyParsers(app);
  // Both add route-level hooks to the routes registered below (none to the webhook routes).
  registerStorableText(app);
  await registerRateLimits(app, ctx.config, ctx.logger);
  const metrics = registerMetrics(app);
  observe = metrics.observe;
  // The fast path counts its answers with the same `observe`.
  reproduced.add('onResponse', metrics.onResponse);
  registerQueueMetrics(metrics.registry, ctx.queue, ctx.db, () => ctx.applied);
  await registerOpenApi(app);

  const authenticate = registerAuth(app, {
    db: ctx.db,
    verifiedKeys: ctx.verifiedKeys,
    adminKey: ctx.secrets.adminKey,
    verifyJwt: createJwtVerifier({
      secret: ctx.secrets.jwtSecret,
      jwksUrl: ctx.config.jwtJwksUrl,
      issuer: ctx.config.jwtIssuer,
      audience: ctx.config.jwtAudience,
    }),
  });
  // It does nothing on a route that declares no `config.auth`, as the webhook routes do not.
  reproduced.add('preHandler', authenticate, (route) => !route.config?.auth);

  for (const plugin of options.beforeRoutes ?? []) await plugin(app);
  await app.register(opsRoutes(ctx, metrics));
  await app.register(catalogRoutes(ctx));
  await app.register(customerRoutes(ctx));
  await app.register(creditRoutes(ctx));
  await app.register(checkoutRoutes(ctx));
  await app.register(whmcsRoutes(ctx));
  await app.register(checkoutPageRoutes(ctx));
  await app.register(paymentRoutes(ctx));
  await app.register(refundRoutes(ctx));
  await app.register(disputeRoutes(ctx));
  await app.register(queueAdminRoutes(ctx));
  await app.register(notificationRoutes(ctx));
  await app.register(subscriptionRoutes(ctx));
  await app.register(portalRoutes(ctx));
  await app.register(adminRoutes(ctx));
  await app.register(webhookRoutes(ctx));
  await app.register(compatRoutes(ctx));
  await app.register(recoveryAdminRoutes(ctx));
  const pageAssets = loadAssets(ctx.config);
  await app.register(
    pageRoutes(ctx, {
      assets: pageAssets,
      stripe: browserStripeFor(ctx.config, ctx.connection.emulatorUrl),
    }),
  );
  await app.register(
    consoleRoutes(ctx, { pageAssets, ...(options.consoleViews ? { views: options.consoleViews } : {}) }),
  );
  for (const plugin of options.plugins ?? []) await plugin(app);

  return app;
}
