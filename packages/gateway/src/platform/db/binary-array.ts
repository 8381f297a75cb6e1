// One-dimensional arrays in PostgreSQL's binary wire format, for a statement whose rows arrive as
// arrays (`unnest($1::text[], $2::json[], …)`): its text stays the same whatever the number of rows,
// so it is parsed and planned once per connection, and the values travel as bytes, with no quoting
// or escaping. Both drivers send a Buffer parameter in binary (the pg driver for any Buffer, the
// PGlite driver for any ArrayBuffer view). The element type must be the one the statement casts to.
//
// The format (array_recv): int32 dimensions (1), int32 has-nulls flag, int32 element type oid,
// int32 length, int32 lower bound (1); then per element an int32 byte length (-1 for NULL) and the
// element's binary form: text and json as their UTF-8 text, int8 as 8 bytes big-endian, bool as one
// byte.

export type ArrayElementType = 'text' | 'json' | 'int8' | 'bool';

const OID: Record<ArrayElementType, number> = { text: 25, json: 114, int8: 20, bool: 16 };
const WIDTH: Partial<Record<ArrayElementType, number>> = { int8: 8, bool: 1 };
const HEADER = 20;

type Element<T extends ArrayElementType> = T extends 'int8'
  ? number | null
  : T extends 'bool'
    ? boolean | null
    : string | Uint8Array | null;

/** `values` as a binary array of `type` (strings are written as UTF-8; bytes as they are). */
export function binaryArray<T extends ArrayElementType>(type: T, values: readonly Element<T>[]): Buffer {
  const width = WIDTH[type];
  let size = HEADER;
  let hasNull = 0;
  for (const v of values) {
    size += 4;
    if (v === null) hasNull = 1;
    else if (width !== undefined) size += width;
    else size += typeof v === 'string' ? Buffer.byteLength(v) : (v as Uint8Array).length;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(hasNull, 4);
  out.writeInt32BE(OID[type], 8);
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16);
  let at = HEADER;
  for (const v of values) {
    if (v === null) {
      at = out.writeInt32BE(-1, at);
    } else if (type === 'int8') {
      if (!Number.isSafeInteger(v)) throw new RangeError(`int8 array element must be a safe integer: ${v}`);
      at = out.writeInt32BE(8, at);
      at = out.writeBigInt64BE(BigInt(v as number), at);
    } else if (type === 'bool') {
      at = out.writeInt32BE(1, at);
      at = out.writeUInt8(v ? 1 : 0, at);
    } else if (typeof v === 'string') {
      const n = out.write(v, at + 4, 'utf8');
      out.writeInt32BE(n, at);
      at += 4 + n;
    } else {
      const bytes = v as Uint8Array;
      out.writeInt32BE(bytes.length, at);
      out.set(bytes, at + 4);
      at += 4 + bytes.length;
    }
  }
  return out;
}
