// The admin API: operator actions authenticated with the admin key. `paydesk keys …` uses it when
// the embedded database is held by a running paydesk.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import {
  type ApiKeyRecord,
  createApiKey,
  defaultScopes,
  listApiKeys,
  revokeApiKey,
  scopes,
} from '../platform/auth/api-keys.js';
import { AppError } from '../platform/errors.js';

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(scopes)),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

export function apiKeyView(k: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: k.id,
    name: k.name,
    scopes: k.scopes,
    created_at: new Date(k.created_at).toISOString(),
    last_used_at: iso(k.last_used_at),
    revoked_at: iso(k.revoked_at),
  };
}

const admin = { auth: { allow: ['admin'] as const } };

export function adminRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/admin/api-keys',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Create an API key; the key is in this answer only.',
          security: [{ bearer: [] }],
          body: z.strictObject({
            name: z.string().min(1).max(100),
            scopes: z
              .array(z.enum(scopes))
              .min(1)
              .default([...defaultScopes]),
          }),
          response: { 201: apiKeySchema.extend({ key: z.string() }) },
        },
      },
      async (request, reply) => {
        const { key, record } = await createApiKey(s.db, request.body);
        request.log.info({ key_id: record.id, scopes: record.scopes }, 'API key created');
        return reply.code(201).send({ ...apiKeyView(record), key });
      },
    );

    app.get(
      '/admin/api-keys',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'List API keys (never their secrets).',
          security: [{ bearer: [] }],
          response: { 200: z.object({ data: z.array(apiKeySchema) }) },
        },
      },
      async () => ({ data: (await listApiKeys(s.db)).map(apiKeyView) }),
    );

    app.delete(
      '/admin/api-keys/:id',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Revoke an API key; it stops working at once.',
          security: [{ bearer: [] }],
          params: z.object({ id: z.string().min(1).max(200) }),
          response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }) },
        },
      },
      async (request) => {
        if (!(await revokeApiKey(s.db, request.params.id, s.verifiedKeys))) {
          throw new AppError('not_found', `No active API key ${request.params.id}.`);
        }
        request.log.info({ key_id: request.params.id }, 'API key revoked');
        return { id: request.params.id, revoked: true as const };
      },
    );
  };
}
