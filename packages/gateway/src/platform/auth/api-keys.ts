// Server-to-server API keys: `pdk_<id>_<secret>`. Only sha256(secret) is stored; the whole key is
// shown once, at creation. The prefix lets secret scanners (and paydesk's log redaction) spot them.
import { createHash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../db/types.js';

export const scopes = ['read', 'write', 'custom_amounts', 'refunds'] as const;
export type Scope = (typeof scopes)[number];
export const defaultScopes: readonly Scope[] = ['read', 'write'];

export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Random base62 string from `draw` (rejection sampling keeps it uniform). */
function base62(length: number, draw: (n: number) => Uint8Array): string {
  let out = '';
  while (out.length < length) {
    for (const byte of draw(length * 2)) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

/**
 * Random bytes for ids, drawn from the system's generator 4 KB at a time instead of once per id (a
 * randomBytes call per checkout or customer id showed in the checkout profile). Every byte is used
 * once. Secrets (API key secrets) do not come from here: see createApiKey().
 */
const idPool = Buffer.alloc(4096);
let idPoolOffset = idPool.length;

function pooledBytes(n: number): Uint8Array {
  if (n > idPool.length) return randomBytes(n);
  if (idPoolOffset + n > idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const bytes = idPool.subarray(idPoolOffset, idPoolOffset + n);
  idPoolOffset += n;
  return bytes;
}

/** Random base62 string for an id (chk_…, cust_…, a key's id). */
export function randomToken(length: number): string {
  return base62(length, pooledBytes);
}

const KEY_PATTERN = /^pdk_([A-Za-z0-9]{16})_([A-Za-z0-9]{32})$/;

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('pdk_');
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function createApiKey(
  db: Queryable,
  input: { name: string; scopes: readonly Scope[] },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const id = randomToken(16);
  // The secret straight from the system's generator, so that no future key's bytes wait in memory.
  const secret = base62(32, randomBytes);
  const r = await db.query<ApiKeyRecord>(
    `INSERT INTO api_keys (id, name, secret_hash, scopes) VALUES ($1, $2, $3, $4)
     RETURNING id, name, scopes, created_at, last_used_at, revoked_at`,
    [id, input.name, hashSecret(secret), [...new Set(input.scopes)]],
  );
  return { key: `pdk_${id}_${secret}`, record: r.rows[0]! };
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  const r = await db.query<ApiKeyRecord>(
    'SELECT id, name, scopes, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at, id',
  );
  return r.rows;
}

/** Revokes by id (or by the whole key); false when there is no such active key. */
export async function revokeApiKey(db: Queryable, idOrKey: string, cache?: VerifiedKeys): Promise<boolean> {
  const id = KEY_PATTERN.exec(idOrKey)?.[1] ?? idOrKey;
  // Forget the key before and after the write, and make any verification that read the row in
  // between skip caching it (the generation moves), so no request after this one trusts the key.
  cache?.forget(id);
  const r = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
    id,
  ]);
  cache?.forget(id);
  return r.rowCount > 0;
}

/** How long a verified key is trusted without reading api_keys again (embedded database only). */
export const VERIFIED_KEY_TTL_MS = 5_000;
const MAX_CACHED_KEYS = 10_000;

interface VerifiedKey {
  secretHash: Buffer;
  record: ApiKeyRecord;
  until: number;
}

/**
 * Keys verified recently, by key id: one per app (AppContext.verifiedKeys). Used on the embedded
 * database only: one process owns a PGlite directory, so every revocation of it goes through
 * revokeApiKey() with this same cache (the CLI goes through the running paydesk's admin API), which
 * drops the entry at once. On PostgreSQL another process may revoke a key at any moment, so every
 * request reads the row.
 */
export class VerifiedKeys {
  readonly keys = new Map<string, VerifiedKey>();
  /** Moves on every revocation: a verification that read the row before it does not cache it. */
  generation = 0;

  forget(id: string): void {
    this.keys.delete(id);
    this.generation++;
  }
}

function cacheFor(db: Queryable, cache: VerifiedKeys | undefined): VerifiedKeys | undefined {
  return cache && 'kind' in db && db.kind === 'pglite' ? cache : undefined;
}

export type KeyCheck =
  | { ok: true; record: ApiKeyRecord }
  | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' };

/** Checks a presented key in constant time with respect to the secret. */
export async function verifyApiKey(db: Queryable, key: string, verified?: VerifiedKeys): Promise<KeyCheck> {
  const m = KEY_PATTERN.exec(key);
  if (!m) return { ok: false, reason: 'malformed' };
  const presented = Buffer.from(hashSecret(m[2]!), 'hex');
  const cache = cacheFor(db, verified);
  const cached = cache?.keys.get(m[1]!);
  if (cached && cached.until > Date.now() && timingSafeEqual(presented, cached.secretHash)) {
    return { ok: true, record: cached.record };
  }
  const generation = cache?.generation;
  const r = await db.query<ApiKeyRecord & { secret_hash: string }>(
    'SELECT id, name, scopes, secret_hash, created_at, last_used_at, revoked_at FROM api_keys WHERE id = $1',
    [m[1]],
  );
  const row = r.rows[0];
  // The secret is hashed (above) even when the id is unknown, so timing does not tell ids apart.
  const stored = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
  if (!row || !timingSafeEqual(presented, stored)) return { ok: false, reason: 'unknown' };
  if (row.revoked_at) return { ok: false, reason: 'revoked' };
  const { secret_hash: _, ...record } = row;
  // Recorded at most once a minute, so a busy key does not write on every request.
  if (!record.last_used_at || Date.now() - new Date(record.last_used_at).getTime() > 60_000) {
    await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [record.id]);
  }
  if (cache && cache.generation === generation) {
    if (cache.keys.size >= MAX_CACHED_KEYS) cache.keys.clear();
    cache.keys.set(record.id, { secretHash: stored, record, until: Date.now() + VERIFIED_KEY_TTL_MS });
  }
  return { ok: true, record };
}
