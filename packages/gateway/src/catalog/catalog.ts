import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type CatalogFile, catalogSchema, type Interval, type Pack, type Plan } from './schema.js';

/** A row of the plans & tokens backend's plan table, resolved: a pack, or a plan at an interval. */
export type PlansBackendRow =
  | { id: number; type: string; kind: 'pack'; itemId: string; interval: null }
  | { id: number; type: string; kind: 'plan'; itemId: string; interval: Interval };

export const demoCatalogPath = fileURLToPath(new URL('../../catalog/demo.yaml', import.meta.url));

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

/** One price the catalog declares, with the lookup key that finds it in Stripe. */
export interface CatalogPrice {
  kind: 'pack' | 'plan';
  itemId: string;
  currency: string;
  amount: number;
  interval: Interval | null;
  lookupKey: string;
}

/** Stripe product ids are derived from the instance and the catalog item: `pd_<instance>_<kind>_<id>`. */
export function productId(instanceId: string, kind: 'pack' | 'plan', itemId: string): string {
  return `pd_${instanceId}_${kind}_${itemId}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The loaded catalog: its items, and every price with its Stripe lookup key. */
export class Catalog {
  readonly packs: readonly Pack[];
  readonly plans: readonly Plan[];
  readonly prices: readonly CatalogPrice[];
  /** The plans & tokens backend's numeric plan ids and types (`compat.plans_backend`). */
  readonly plansBackend: readonly PlansBackendRow[];

  constructor(
    file: CatalogFile,
    readonly instanceId: string,
  ) {
    this.packs = file.packs;
    this.plans = file.plans;
    const prices: CatalogPrice[] = [];
    for (const pack of file.packs) {
      for (const [currency, amount] of Object.entries(pack.prices)) {
        prices.push({
          kind: 'pack',
          itemId: pack.id,
          currency,
          amount,
          interval: null,
          lookupKey: this.lookupKey('pack', pack.id, currency),
        });
      }
    }
    for (const plan of file.plans) {
      for (const interval of ['month', 'year'] as const) {
        for (const [currency, amount] of Object.entries(plan.prices[interval] ?? {})) {
          prices.push({
            kind: 'plan',
            itemId: plan.id,
            currency,
            amount,
            interval,
            lookupKey: this.lookupKey('plan', plan.id, currency, interval),
          });
        }
      }
    }
    this.prices = prices;
    this.plansBackend = (file.compat?.plans_backend ?? []).map((r): PlansBackendRow => {
      if (r.pack !== undefined)
        return { id: r.id, type: r.type, kind: 'pack', itemId: r.pack, interval: null };
      const interval = r.interval ?? (r.type === 'yearly' ? 'year' : 'month');
      return { id: r.id, type: r.type, kind: 'plan', itemId: r.plan!, interval };
    });
  }

  /** `paydesk:<instance>:pack:<id>:<currency>` or `paydesk:<instance>:plan:<id>:<interval>:<currency>`. */
  lookupKey(kind: 'pack' | 'plan', itemId: string, currency: string, interval?: Interval): string {
    return kind === 'pack'
      ? `paydesk:${this.instanceId}:pack:${itemId}:${currency}`
      : `paydesk:${this.instanceId}:plan:${itemId}:${interval}:${currency}`;
  }

  /** The id of the pack whose Stripe product this is (catalog sync names them: productId()). */
  packOfProduct(product: string): string | undefined {
    this.packProducts ??= new Map(this.packs.map((p) => [productId(this.instanceId, 'pack', p.id), p.id]));
    return this.packProducts.get(product);
  }
  private packProducts: ReadonlyMap<string, string> | undefined;

  pack(id: string): Pack | undefined {
    return this.packs.find((p) => p.id === id);
  }

  plan(id: string): Plan | undefined {
    return this.plans.find((p) => p.id === id);
  }

  price(
    kind: 'pack' | 'plan',
    itemId: string,
    currency: string,
    interval?: Interval,
  ): CatalogPrice | undefined {
    return this.prices.find(
      (p) =>
        p.kind === kind &&
        p.itemId === itemId &&
        p.currency === currency &&
        (kind === 'pack' || p.interval === interval),
    );
  }

  /** Which catalog item a lookup key names (for prices coming back from Stripe). */
  byLookupKey(lookupKey: string): CatalogPrice | undefined {
    return this.prices.find((p) => p.lookupKey === lookupKey);
  }
}

/** Reads and validates a catalog file (JSON or YAML); errors name the file and the field. */
export async function loadCatalog(path: string, instanceId: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CatalogError(`cannot read catalog ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    // yaml is loaded only for a YAML catalog.
    raw = path.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
  } catch (err) {
    throw new CatalogError(
      `catalog ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  const parsed = catalogSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CatalogError(`catalog ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return new Catalog(parsed.data, instanceId);
}
