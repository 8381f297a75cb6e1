import type { Scope } from './api-keys.js';

/** Who is calling: the host product's server (API key), one of its users (JWT), or an operator (admin key). */
export type Principal =
  | { kind: 'api_key'; keyId: string; scopes: readonly Scope[] }
  | { kind: 'user'; externalId: string; email: string | undefined }
  | { kind: 'admin' };

export type PrincipalKind = Principal['kind'];

/** Route-level requirement, set as `config: { auth: { … } }` on a route. */
export interface AuthRequirement {
  allow: readonly PrincipalKind[];
  /** API keys must hold every one of these scopes (users and admins are not scoped). */
  scopes?: readonly Scope[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}
