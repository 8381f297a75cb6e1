import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { customerFor } from '../customers/access.js';
import type { CustomerRow } from '../customers/service.js';
import { activeKeys, entitlementOf, graceUntil } from '../entitlements/service.js';
import { principalOf } from '../platform/auth/plugin.js';
import { type Tx, withTransaction } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import { adjustCredits, notifyLedgerChange } from './service.js';
import {
  consumeCredits,
  creditReasons,
  currentBalance,
  type LedgerChange,
  type LedgerEntry,
  ledgerPage,
} from './store.js';

const entrySchema = z.object({
  id: z.number().int(),
  delta: z.number().int(),
  balance: z.number().int(),
  reason: z.enum(creditReasons),
  cause: z.string(),
  note: z.string().nullable(),
  created_at: z.string(),
});

function entryView(e: LedgerEntry): z.infer<typeof entrySchema> {
  return {
    id: Number(e.id),
    delta: e.delta,
    balance: e.balance,
    reason: e.reason,
    cause: e.cause,
    note: e.note,
    created_at: new Date(e.created_at).toISOString(),
  };
}

const params = z.object({
  id: z.string().min(1).max(100).describe('paydesk customer id, or `me` for users'),
});
const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .describe('Makes the request once-only: repeating it returns the first result.');

/**
 * Runs one ledger change for a request, once per idempotency key: a repeated key with another amount
 * is a conflict; a new entry notifies the host product in the same transaction.
 */
async function ledgerRequest(
  s: AppContext,
  customer: CustomerRow,
  delta: number,
  change: (tx: Tx) => Promise<LedgerChange>,
): Promise<LedgerChange> {
  return withTransaction(s, async (tx) => {
    const c = await change(tx);
    if (!c.applied && c.entry.delta !== delta) {
      throw new AppError('conflict', 'This idempotency_key was used for a different amount.', {
        previous_amount: Math.abs(c.entry.delta),
      });
    }
    await notifyLedgerChange(s, tx, c, customer.id, { external_id: customer.external_id });
    return c;
  });
}

export function creditRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/customers/:id/entitlements',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['read'] } },
        schema: {
          tags: ['entitlements'],
          summary:
            'What the customer may use now: access keys from their plan, subscription status, credits.',
          security: [{ bearer: [] }],
          params,
          response: {
            200: z.object({
              customer: z.string(),
              access: z.array(z.string()),
              plan: z.string().nullable(),
              status: z.string().nullable(),
              current_period_end: z.string().nullable(),
              grace_until: z
                .string()
                .nullable()
                .describe('past_due only: when access ends unless the payment succeeds'),
              credits: z.number().int(),
            }),
          },
        },
      },
      async (request) => {
        const customer = await customerFor(s, principalOf(request), request.params.id);
        const row = await entitlementOf(s.db, customer.id);
        const grace = row?.status === 'past_due' ? graceUntil(row, s.config.gracePeriodDays) : null;
        return {
          customer: customer.id,
          access: row ? activeKeys(row, s.config.gracePeriodDays, s.now()) : [],
          plan: row?.plan ?? null,
          status: row?.status ?? null,
          current_period_end: row?.current_period_end ? new Date(row.current_period_end).toISOString() : null,
          grace_until: grace ? grace.toISOString() : null,
          credits: await currentBalance(s.db, customer.id),
        };
      },
    );

    app.get(
      '/v1/customers/:id/credits/ledger',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['read'] } },
        schema: {
          tags: ['credits'],
          summary: 'The credits ledger, newest first (cursor: starting_after = an entry id).',
          security: [{ bearer: [] }],
          params,
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(100).default(20),
            starting_after: z.coerce.number().int().positive().optional(),
          }),
          response: {
            200: z.object({ balance: z.number().int(), data: z.array(entrySchema), has_more: z.boolean() }),
          },
        },
      },
      async (request) => {
        const customer = await customerFor(s, principalOf(request), request.params.id);
        const page = await ledgerPage(s.db, customer.id, {
          limit: request.query.limit,
          before: request.query.starting_after,
        });
        return {
          balance: await currentBalance(s.db, customer.id),
          data: page.entries.map(entryView),
          has_more: page.hasMore,
        };
      },
    );

    app.post(
      '/v1/customers/:id/credits/consume',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['write'] } },
        schema: {
          tags: ['credits'],
          summary:
            'Spend credits atomically; 409 with the balance when there are not enough. Once per idempotency_key.',
          security: [{ bearer: [] }],
          params,
          body: z.strictObject({
            amount: z.number().int().min(1).max(1_000_000_000),
            idempotency_key: idempotencyKey,
          }),
          response: {
            200: z.object({ balance: z.number().int(), entry: entrySchema, replayed: z.boolean() }),
          },
        },
      },
      async (request) => {
        const customer = await customerFor(s, principalOf(request), request.params.id);
        const { amount, idempotency_key } = request.body;
        const result = await ledgerRequest(s, customer, -amount, (tx) =>
          consumeCredits(tx, customer.id, amount, idempotency_key),
        );
        return {
          balance: await currentBalance(s.db, customer.id),
          entry: entryView(result.entry),
          replayed: !result.applied,
        };
      },
    );

    app.post(
      '/v1/customers/:id/credits/adjust',
      {
        config: { auth: { allow: ['api_key', 'admin'], scopes: ['write'] } },
        schema: {
          tags: ['credits'],
          summary:
            'Grant (positive) or remove (negative) credits by hand, e.g. for support. Once per idempotency_key.',
          security: [{ bearer: [] }],
          params,
          body: z.strictObject({
            amount: z
              .number()
              .int()
              .min(-1_000_000_000)
              .max(1_000_000_000)
              .refine((n) => n !== 0, 'must not be 0'),
            idempotency_key: idempotencyKey,
            note: z.string().max(500).optional(),
          }),
          response: {
            200: z.object({ balance: z.number().int(), entry: entrySchema, replayed: z.boolean() }),
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        // The admin key acts on any customer, like an API key: name it by id.
        const actor =
          principal.kind === 'admin' ? ({ kind: 'api_key', keyId: 'admin', scopes: [] } as const) : principal;
        const customer = await customerFor(s, actor, request.params.id);
        const { amount, idempotency_key, note } = request.body;
        const result = await withTransaction(s, (tx) =>
          adjustCredits(s, tx, { customer, amount, idempotencyKey: idempotency_key, note }),
        );
        return { balance: result.entry.balance, entry: entryView(result.entry), replayed: !result.applied };
      },
    );
  };
}
