// Makes Stripe's products and prices match the catalog, idempotently: products have ids derived from
// the catalog, prices are found by lookup key, a changed amount makes a new price and moves the
// lookup key (Stripe prices are immutable), and nothing is ever deleted — only archived.
import type Stripe from 'stripe';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import type { Catalog, CatalogPrice } from './catalog.js';

export type SyncActionKind =
  | 'create_product'
  | 'update_product'
  | 'archive_product'
  | 'create_price'
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

/** Stripe product ids are derived from the instance and the catalog item: `pd_<instance>_<kind>_<id>`. */
export function productId(instanceId: string, kind: 'pack' | 'plan', itemId: string): string {
  return `pd_${instanceId}_${kind}_${itemId}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

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
              { idempotencyKey: idempotencyKey('catalog.product.create', pid) },
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
                idempotencyKey: idempotencyKey(
                  'catalog.product.update',
                  pid,
                  fields.name,
                  fields.description,
                  existing.updated,
                ),
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
              { idempotencyKey: idempotencyKey('catalog.product.archive', p.id, p.updated) },
            ),
          );
        },
      });
    }
  }

  // Every active price of this instance's products, whatever their lookup key.
  const prices: Stripe.Price[] = [];
  for (const p of products) {
    prices.push(
      ...(await listAll((after) =>
        stripe.prices.list({ product: p.id, active: true, limit: 100, starting_after: after }),
      )),
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
    if (matches) {
      unchanged++;
      keep.add(current.id);
      continue;
    }
    const replacing = current?.id;
    if (replacing) keep.add(replacing); // archived by the replace action itself, after the key moved
    actions.push({
      kind: replacing ? 'replace_price' : 'create_price',
      summary: replacing
        ? `new price for ${describePrice(want)} (was ${current.unit_amount}); lookup key moves, ${replacing} archived`
        : `create price ${describePrice(want)}`,
      apply: async (s) => {
        await callStripe(() =>
          s.prices.create(
            {
              product: pid,
              currency: want.currency,
              unit_amount: want.amount,
              lookup_key: want.lookupKey,
              transfer_lookup_key: replacing !== undefined,
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
                want.amount,
                replacing ?? 'none',
              ),
            },
          ),
        );
        if (replacing) {
          await callStripe(() =>
            s.prices.update(
              replacing,
              { active: false },
              { idempotencyKey: idempotencyKey('catalog.price.archive', replacing) },
            ),
          );
        }
      },
    });
  }
  for (const p of prices) {
    if (keep.has(p.id)) continue;
    actions.push({
      kind: 'archive_price',
      summary: `archive price ${p.id} (${p.lookup_key ?? 'no lookup key'}: not in the catalog)`,
      apply: async (s) => {
        await callStripe(() =>
          s.prices.update(
            p.id,
            { active: false },
            { idempotencyKey: idempotencyKey('catalog.price.archive', p.id) },
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
