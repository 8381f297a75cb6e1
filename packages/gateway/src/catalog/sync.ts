// Makes Stripe's products and prices match the catalog, idempotently, whatever happened before: products
// have ids derived from the catalog; prices are found by lookup key among all of the products' prices,
// archived ones included (an archived price keeps its key). A changed amount, currency or interval
// makes a new price and moves the key to it explicitly (`transfer_lookup_key`; Stripe prices are
// immutable); an item that comes back as it was gets its archived price back; nothing is ever deleted,
// only archived.
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { type Catalog, type CatalogPrice, productId } from './catalog.js';

export type SyncActionKind =
  | 'create_product'
  | 'update_product'
  | 'archive_product'
  | 'create_price'
  | 'reactivate_price'
  | 'replace_price'
  | 'archive_price';

export interface SyncAction {
  kind: SyncActionKind;
  /** One line for the plan a person reads. */
  summary: string;
  apply(stripe: Stripe): Promise<void>;
}

export interface SyncPlan {
  actions: SyncAction[];
  /** Prices already as the catalog wants them. */
  unchanged: number;
}

type Item = { kind: 'pack' | 'plan'; id: string; name: string; description: string | undefined };

async function listAll<T extends { id: string }>(
  page: (startingAfter?: string) => Promise<Stripe.ApiList<T>>,
): Promise<T[]> {
  const out: T[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const res = await callStripe(() => page(startingAfter));
    out.push(...res.data);
    if (!res.has_more || res.data.length === 0) return out;
    startingAfter = res.data.at(-1)!.id;
  }
}

function describePrice(p: CatalogPrice): string {
  return `${p.kind} ${p.itemId} ${p.interval ? `${p.interval}ly ` : ''}${p.currency} ${p.amount}`;
}

/** Compares the catalog with Stripe and returns what would change; changes nothing. */
export async function planSync(stripe: Stripe, catalog: Catalog): Promise<SyncPlan> {
  const instance = catalog.instanceId;
  // Names this sync in every idempotency key it sends: Stripe's retries of one request replay it,
  // but a later sync never replays an earlier one's request within Stripe's 24 hours (the same
  // lookup key and amount created again, a price archived a second time). A sync that stopped half-way
  // is simply run again: it plans from what Stripe then holds.
  const syncId = randomUUID();
  const products = (
    await listAll((after) => stripe.products.list({ limit: 100, starting_after: after }))
  ).filter((p) => p.metadata.paydesk_instance === instance);
  const byId = new Map(products.map((p) => [p.id, p]));
  const items: Item[] = [
    ...catalog.packs.map((p) => ({
      kind: 'pack' as const,
      id: p.id,
      name: p.name,
      description: p.description,
    })),
    ...catalog.plans.map((p) => ({
      kind: 'plan' as const,
      id: p.id,
      name: p.name,
      description: p.description,
    })),
  ];
  const actions: SyncAction[] = [];
  const wanted = new Set<string>();

  for (const item of items) {
    const pid = productId(instance, item.kind, item.id);
    wanted.add(pid);
    const existing = byId.get(pid);
    const fields = { name: item.name, description: item.description ?? '' };
    if (!existing) {
      actions.push({
        kind: 'create_product',
        summary: `create product ${pid} (${item.name})`,
        apply: async (s) => {
          await callStripe(() =>
            s.products.create(
              {
                id: pid,
                name: item.name,
                ...(item.description ? { description: item.description } : {}),
                metadata: { paydesk_instance: instance, paydesk_kind: item.kind, paydesk_id: item.id },
              },
              { idempotencyKey: idempotencyKey('catalog.product.create', pid, syncId) },
            ),
          );
        },
      });
    } else if (
      !existing.active ||
      existing.name !== fields.name ||
      (existing.description ?? '') !== fields.description
    ) {
      actions.push({
        kind: 'update_product',
        summary: `update product ${pid}${existing.active ? '' : ' (reactivate)'}`,
        apply: async (s) => {
          await callStripe(() =>
            s.products.update(
              pid,
              { name: fields.name, description: fields.description, active: true },
              {
                idempotencyKey: idempotencyKey('catalog.product.update', pid, syncId),
              },
            ),
          );
        },
      });
    }
  }
  for (const p of products) {
    if (!wanted.has(p.id) && p.active) {
      actions.push({
        kind: 'archive_product',
        summary: `archive product ${p.id} (no longer in the catalog)`,
        apply: async (s) => {
          await callStripe(() =>
            s.products.update(
              p.id,
              { active: false },
              { idempotencyKey: idempotencyKey('catalog.product.archive', p.id, syncId) },
            ),
          );
        },
      });
    }
  }

  // Every price of this instance's products, archived ones included: an archived price keeps its
  // lookup key, so the key's holder is found whatever its state.
  const prices: Stripe.Price[] = [];
  for (const p of products) {
    prices.push(
      ...(await listAll((after) => stripe.prices.list({ product: p.id, limit: 100, starting_after: after }))),
    );
  }
  const byLookupKey = new Map(prices.filter((p) => p.lookup_key).map((p) => [p.lookup_key!, p]));
  let unchanged = 0;
  const keep = new Set<string>();

  for (const want of catalog.prices) {
    const current = byLookupKey.get(want.lookupKey);
    const pid = productId(instance, want.kind, want.itemId);
    const matches =
      current &&
      current.unit_amount === want.amount &&
      current.currency === want.currency &&
      current.product === pid &&
      (current.recurring?.interval ?? null) === want.interval;
    if (matches && current.active) {
      unchanged++;
      keep.add(current.id);
      continue;
    }
    if (matches) {
      // The item came back as it was: its archived price, which still holds the key, is used again.
      keep.add(current.id);
      actions.push({
        kind: 'reactivate_price',
        summary: `reactivate price ${current.id} for ${describePrice(want)} (archived, still holds the lookup key)`,
        apply: async (s) => {
          await callStripe(() =>
            s.prices.update(
              current.id,
              { active: true },
              { idempotencyKey: idempotencyKey('catalog.price.reactivate', current.id, syncId) },
            ),
          );
        },
      });
      continue;
    }
    const holder = current;
    if (holder?.active) keep.add(holder.id); // archived by the replace action itself, after the key moved
    actions.push({
      kind: holder ? 'replace_price' : 'create_price',
      summary: holder
        ? `new price for ${describePrice(want)} (was ${holder.currency} ${holder.unit_amount}${holder.active ? '' : ', archived'}); lookup key moves${holder.active ? `, ${holder.id} archived` : ` from ${holder.id}`}`
        : `create price ${describePrice(want)}`,
      apply: async (s) => {
        await callStripe(() =>
          s.prices.create(
            {
              product: pid,
              currency: want.currency,
              unit_amount: want.amount,
              lookup_key: want.lookupKey,
              // Explicit: the key moves from whichever price holds it, archived or not.
              transfer_lookup_key: holder !== undefined,
              ...(want.interval ? { recurring: { interval: want.interval } } : {}),
              metadata: {
                paydesk_instance: instance,
                paydesk_kind: want.kind,
                paydesk_id: want.itemId,
                ...(want.interval ? { paydesk_interval: want.interval } : {}),
              },
            },
            {
              idempotencyKey: idempotencyKey(
                'catalog.price.create',
                want.lookupKey,
                want.currency,
                want.amount,
                want.interval ?? 'once',
                holder?.id ?? 'none',
                syncId,
              ),
            },
          ),
        );
        if (holder?.active) {
          await callStripe(() =>
            s.prices.update(
              holder.id,
              { active: false },
              { idempotencyKey: idempotencyKey('catalog.price.archive', holder.id, syncId) },
            ),
          );
        }
      },
    });
  }
  for (const p of prices) {
    if (keep.has(p.id) || !p.active) continue;
    actions.push({
      kind: 'archive_price',
      summary: `archive price ${p.id} (${p.lookup_key ?? 'no lookup key'}: not in the catalog)`,
      apply: async (s) => {
        await callStripe(() =>
          s.prices.update(
            p.id,
            { active: false },
            { idempotencyKey: idempotencyKey('catalog.price.archive', p.id, syncId) },
          ),
        );
      },
    });
  }
  // Products first (prices need them), then prices, then archiving.
  const order: SyncActionKind[] = [
    'create_product',
    'update_product',
    'create_price',
    'reactivate_price',
    'replace_price',
    'archive_price',
    'archive_product',
  ];
  actions.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  return { actions, unchanged };
}

/** Applies a plan in order; onProgress is called after each action (for a progress bar). */
export async function applySync(
  stripe: Stripe,
  plan: SyncPlan,
  onProgress?: (done: number, total: number, action: SyncAction) => void,
): Promise<void> {
  let done = 0;
  for (const action of plan.actions) {
    await action.apply(stripe);
    done++;
    onProgress?.(done, plan.actions.length, action);
  }
}
