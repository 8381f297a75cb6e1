import assert from 'node:assert/strict';
import test from 'node:test';
import { ShapeCodec } from './shape-json.js';

/** What `encode` then `toJson` must give back: exactly `JSON.stringify(value)`. */
function roundTrip(codec: ShapeCodec, value: unknown): string {
  const text = codec.encode(value);
  assert.notEqual(text, undefined);
  const json = codec.toJson(text!);
  assert.equal(json, JSON.stringify(value));
  return text!;
}

test('a Stripe-like object round-trips exactly and keeps only its values', () => {
  const codec = new ShapeCodec();
  const customer = {
    id: 'cus_1',
    object: 'customer',
    address: null,
    balance: 0,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null },
    metadata: { source: 'bench', '2': 'two', '1': 'one' },
    preferred_locales: [],
    tags: ['a', ['b', { c: 1 }]],
    livemode: false,
  };
  const text = roundTrip(codec, customer);
  assert.ok(text.length < JSON.stringify(customer).length / 2, text);
  assert.ok(!text.includes('invoice_settings'));
  // The same key sets are learnt once.
  const shapes = codec.shapes;
  roundTrip(codec, { ...customer, id: 'cus_2', metadata: { source: 'x', '2': 'y', '1': 'z' } });
  assert.equal(codec.shapes, shapes);
});

test('JSON edge cases: undefined, functions, non-finite numbers, toJSON, empty containers', () => {
  const codec = new ShapeCodec();
  roundTrip(codec, { a: undefined, b: 1, c: () => 1, d: [undefined, () => 1, Number.NaN, -0, 1e21] });
  roundTrip(codec, { when: new Date(0), nested: { toJSON: (k: string) => `key:${k}` } });
  roundTrip(codec, { empty: {}, list: [], deep: [[[]]], s: 'quote " backslash \\ \u2028 é' });
  roundTrip(codec, [1, 'two', null, true, { x: [0, -1] }]);
  roundTrip(codec, 'plain');
  roundTrip(codec, null);
  assert.equal(codec.encode(undefined), undefined);
  assert.throws(() => codec.encode({ n: 1n }), TypeError);
});

test('a __proto__ key stays an own property, as JSON.parse keeps it', () => {
  const codec = new ShapeCodec();
  const value = JSON.parse('{"metadata":{"__proto__":"x","a":"b"}}') as unknown;
  roundTrip(codec, value);
  const back = codec.decode(codec.encode(value)!) as { metadata: Record<string, unknown> };
  assert.equal(Object.getPrototypeOf(back.metadata), Object.prototype);
  assert.deepEqual(Object.keys(back.metadata), ['__proto__', 'a']);
});

test('once the shape table is full, new key sets are written inline and still round-trip', () => {
  const codec = new ShapeCodec(2);
  for (let i = 0; i < 10; i++) roundTrip(codec, { [`k${i}`]: i, nested: { [`n${i}`]: [i] } });
  assert.equal(codec.shapes, 2);
});
