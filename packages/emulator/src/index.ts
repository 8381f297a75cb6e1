export { type ApiRequest, type ApiResponse, App, type Snapshot } from './core/app.js';
export { Clock } from './core/clock.js';
export type { Ctx, Handler } from './core/context.js';
export { StripeError } from './core/errors.js';
export type { FaultConfig, RouteFault, WebhookFaults } from './core/faults.js';
export type { RequestLog } from './core/http.js';
export { type Api, defineResource, type Resource } from './core/resource.js';
export { API_VERSION } from './core/version.js';
export type { Wire } from './core/wire.js';
export { allResources } from './resources/index.js';
export { type EmulatorOptions, type RunningEmulator, startEmulator } from './server.js';
export type { DeliveryAttempt, RetrySchedule } from './webhooks/delivery.js';
export { signatureHeader } from './webhooks/signature.js';

export const version = '0.1.0';
