import type { Collection, Identified } from './collection.js';
import { invalidRequest, resourceMissing } from './errors.js';
import type { Params } from './form.js';
import { int, obj, str } from './params.js';

/** Stripe's list object (`Stripe.ApiList<T>` without the SDK's helper methods). */
export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

interface Cursor {
  limit: number;
  startingAfter: string | undefined;
  endingBefore: string | undefined;
}

function readCursor(params: Params): Cursor {
  const limit = int(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) {
    throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit');
  }
  const startingAfter = str(params, 'starting_after') || undefined;
  const endingBefore = str(params, 'ending_before') || undefined;
  if (startingAfter !== undefined && endingBefore !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: starting_after, ending_before.',
      'starting_after',
    );
  }
  return { limit, startingAfter, endingBefore };
}

/**
 * A page of a collection, newest first, with `limit`, `starting_after`, `ending_before` and an
 * optional filter. Walks only as far as the page needs.
 */
export function paginate<T extends Identified>(
  col: Collection<T>,
  params: Params,
  url: string,
  filter?: (v: T) => boolean,
): ListObject<T> {
  const { limit, startingAfter, endingBefore } = readCursor(params);
  const data: T[] = [];
  let hasMore = false;
  if (endingBefore !== undefined) {
    const pos = col.positionOf(endingBefore);
    if (pos === undefined) throw resourceMissing(col.label, endingBefore, 'ending_before');
    // Objects newer than the cursor, the ones closest to it first; then shown newest first.
    for (let i = pos + 1; i < col.end; i++) {
      const v = col.at(i);
      if (v === undefined || (filter && !filter(v))) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(v);
    }
    data.reverse();
  } else {
    let start = col.end - 1;
    if (startingAfter !== undefined) {
      const pos = col.positionOf(startingAfter);
      if (pos === undefined) throw resourceMissing(col.label, startingAfter, 'starting_after');
      start = pos - 1;
    }
    for (let i = start; i >= 0; i--) {
      const v = col.at(i);
      if (v === undefined || (filter && !filter(v))) continue;
      if (data.length === limit) {
        hasMore = true;
        break;
      }
      data.push(v);
    }
  }
  return { object: 'list', data, has_more: hasMore, url };
}

/** A page over an array that is already newest first (e.g. a sub-list inside an object). */
export function paginateArray<T extends Identified>(
  items: readonly T[],
  params: Params,
  url: string,
  filter?: (v: T) => boolean,
): ListObject<T> {
  const { limit, startingAfter, endingBefore } = readCursor(params);
  const all = filter ? items.filter(filter) : items;
  let from = 0;
  let to = all.length;
  if (startingAfter !== undefined) {
    const i = all.findIndex((v) => v.id === startingAfter);
    if (i === -1)
      throw invalidRequest(`No such object: '${startingAfter}'`, 'starting_after', 'resource_missing');
    from = i + 1;
  } else if (endingBefore !== undefined) {
    const i = all.findIndex((v) => v.id === endingBefore);
    if (i === -1)
      throw invalidRequest(`No such object: '${endingBefore}'`, 'ending_before', 'resource_missing');
    to = i;
    from = Math.max(0, i - limit);
    return { object: 'list', data: all.slice(from, to), has_more: from > 0, url };
  }
  return { object: 'list', data: all.slice(from, from + limit), has_more: from + limit < to, url };
}

/**
 * A range filter such as `created`: either an integer (exact) or `created[gt|gte|lt|lte]`.
 * Returns undefined when the param is absent.
 */
export function rangeFilter(
  params: Params,
  key: string,
): ((n: number | null | undefined) => boolean) | undefined {
  const raw = params[key];
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    const exact = int(params, key);
    return (n) => n === exact;
  }
  const range = obj(params, key)!;
  const gt = int(range, 'gt', `${key}[gt]`);
  const gte = int(range, 'gte', `${key}[gte]`);
  const lt = int(range, 'lt', `${key}[lt]`);
  const lte = int(range, 'lte', `${key}[lte]`);
  return (n) =>
    n !== null &&
    n !== undefined &&
    (gt === undefined || n > gt) &&
    (gte === undefined || n >= gte) &&
    (lt === undefined || n < lt) &&
    (lte === undefined || n <= lte);
}

/** Combine optional predicates into one (undefined when there are none). */
export function allOf<T>(
  ...preds: (((v: T) => boolean) | undefined | false)[]
): ((v: T) => boolean) | undefined {
  const active = preds.filter((p): p is (v: T) => boolean => typeof p === 'function');
  if (active.length === 0) return undefined;
  if (active.length === 1) return active[0];
  return (v) => active.every((p) => p(v));
}
