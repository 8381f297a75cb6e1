import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalParams, decodeForm, encodeForm } from './form.js';

test('decodes flat, nested and percent-encoded keys', () => {
  assert.deepEqual(decodeForm('a=1&b%5Bc%5D=x+y&d[e][f]=%C3%A9'), {
    a: '1',
    b: { c: 'x y' },
    d: { e: { f: 'é' } },
  });
});

test('decodes arrays written a[]=, a[0]= and arrays of objects', () => {
  assert.deepEqual(decodeForm('a[]=1&a[]=2'), { a: ['1', '2'] });
  assert.deepEqual(decodeForm('a[0]=x&a[1]=y'), { a: ['x', 'y'] });
  assert.deepEqual(decodeForm('items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2'), {
    items: [{ price: 'p1', quantity: '2' }, { price: 'p2' }],
  });
  assert.deepEqual(decodeForm('a[b][0][c]=v'), { a: { b: [{ c: 'v' }] } });
  assert.deepEqual(decodeForm('l[][price]=a&l[][quantity]=1&l[][price]=b'), {
    l: [{ price: 'a', quantity: '1' }, { price: 'b' }],
  });
});

test('a container with named keys after numeric ones becomes an object; huge indexes never make arrays', () => {
  assert.deepEqual(decodeForm('m[0]=a&m[x]=b'), { m: { 0: 'a', x: 'b' } });
  assert.deepEqual(decodeForm('m[99999999]=a'), { m: { 99999999: 'a' } });
});

test('empty values and the empty body', () => {
  assert.deepEqual(decodeForm(''), {});
  assert.deepEqual(decodeForm('metadata=&x'), { metadata: '', x: '' });
});

test('encodeForm round-trips through decodeForm', () => {
  const v = { a: 'b c', n: { m: ['1', '2'], o: [{ p: 'q' }] } };
  assert.deepEqual(decodeForm(encodeForm(v)), v);
});

test('canonicalParams ignores key order', () => {
  assert.equal(canonicalParams(decodeForm('a=1&b=2')), canonicalParams(decodeForm('b=2&a=1')));
  assert.notEqual(canonicalParams(decodeForm('a=1')), canonicalParams(decodeForm('a=2')));
});
