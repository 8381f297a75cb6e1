// readEventHead reads an event's row fields from its bytes without parsing it: on any well-formed body
// it must find exactly what JSON.parse finds, and on anything else it must not throw.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EventHead, readEventHead } from './event-head.js';
import { nestsDeeperThan } from './nesting.js';

/** What the head must be, from the parsed event (undefined when it is not shaped like an event). */
function expected(body: string): EventHead | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined;
  const data = e.data as Record<string, unknown> | null | undefined;
  const object = typeof data === 'object' && data !== null && !Array.isArray(data) ? data.object : undefined;
  const livemode = 'livemode' in e ? e.livemode : false;
  const apiVersion = 'api_version' in e ? e.api_version : null;
  if (
    typeof e.id !== 'string' ||
    !e.id.startsWith('evt_') ||
    typeof e.type !== 'string' ||
    e.type === '' ||
    !Number.isSafeInteger(e.created) ||
    typeof livemode !== 'boolean' ||
    (apiVersion !== null && typeof apiVersion !== 'string') ||
    typeof object !== 'object' ||
    object === null ||
    Array.isArray(object)
  )
    return undefined;
  const objectId = (object as { id?: unknown }).id;
  return {
    id: e.id,
    type: e.type,
    created: e.created as number,
    livemode,
    api_version: apiVersion as string | null,
    object_id: typeof objectId === 'string' ? objectId : null,
  };
}

const event = {
  id: 'evt_1Q2w3E4r5T6y',
  object: 'event',
  api_version: '2025-03-31.basil',
  created: 1764676800,
  data: {
    object: {
      address: { city: 'Zürich', line1: 'Bahnhofstr. "1"', country: 'CH' },
      id: 'cus_Ab12',
      metadata: { paydesk_instance: 'main', note: 'braces { and } and [ ] in a string, a \\ too' },
      preferred_locales: ['de-CH', 'fr'],
      balance: -1.5e3,
      tags: [{ id: 'nested_not_this' }, [], {}],
      emoji: '🧾 ☃',
    },
    previous_attributes: { id: 'not_this_either', name: null },
  },
  livemode: false,
  pending_webhooks: 1,
  request: { id: 'req_1', idempotency_key: null },
  type: 'customer.updated',
};

test('finds what JSON.parse finds, however the JSON is written', () => {
  const bodies = [
    JSON.stringify(event),
    JSON.stringify(event, null, 2),
    JSON.stringify(event, null, '\t').replaceAll('\n', '\r\n'),
    // Keys and values written with escapes.
    JSON.stringify(event).replace('"id":"evt_1Q2w3E4r5T6y"', '"\\u0069d":"evt_\\u0031Q\\"x"'),
    JSON.stringify(event).replace('"type":"customer.updated"', '"type":"customer\\/updated"'),
    // A repeated key: JSON.parse keeps the last.
    JSON.stringify(event).replace('"object":"event"', '"type":"first.seen","id":"evt_first"'),
    JSON.stringify({ ...event, data: { object: { id: 'cus_1', id2: 1 } } }).replace(
      '"id2":1',
      '"id":"cus_2"',
    ),
    JSON.stringify({ ...event, api_version: null, livemode: true }),
    JSON.stringify({ ...event, data: { object: { object: 'customer' } } }),
    JSON.stringify({ ...event, data: { object: { id: 42 } } }),
    `  ${JSON.stringify(event)}\n`,
  ];
  for (const body of bodies) {
    const head = readEventHead(Buffer.from(body));
    assert.ok(head, body);
    assert.deepEqual(head, expected(body), body);
  }
  const head = readEventHead(Buffer.from(JSON.stringify(event)));
  assert.deepEqual(head, {
    id: 'evt_1Q2w3E4r5T6y',
    type: 'customer.updated',
    created: 1764676800,
    livemode: false,
    api_version: '2025-03-31.basil',
    object_id: 'cus_Ab12',
  });
});

test('refuses what is not shaped like an event', () => {
  const bodies = [
    '',
    'not json',
    '[]',
    '"evt_1"',
    '{}',
    JSON.stringify({ ...event, id: 'ch_1' }),
    JSON.stringify({ ...event, id: 7 }),
    JSON.stringify({ ...event, type: '' }),
    JSON.stringify({ ...event, created: 1.5 }),
    JSON.stringify({ ...event, created: '1764676800' }),
    JSON.stringify({ ...event, livemode: 'no' }),
    JSON.stringify({ ...event, api_version: 3 }),
    JSON.stringify({ ...event, data: { object: [] } }),
    JSON.stringify({ ...event, data: { object: null } }),
    JSON.stringify({ ...event, data: null }),
    `${JSON.stringify(event)} trailing`,
    JSON.stringify(event).slice(0, -1),
  ];
  for (const body of bodies) {
    assert.equal(expected(body), undefined, `the test's own reading: ${body}`);
    assert.equal(readEventHead(Buffer.from(body)), undefined, body);
  }
});

test('on bodies mangled at random: never throws, and agrees with JSON.parse on every body that parses', () => {
  // A small deterministic generator, so that a failure can be reproduced.
  let state = 0x2f6b_1d3a;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const pieces = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '"id":', '"evt_x"', '1', 'null', '"data":'];
  const sources = [JSON.stringify(event), JSON.stringify(event, null, 1)];
  // The Stripe CLI's fixtures, as more shapes of real objects.
  const triggers = fileURLToPath(new URL('../../../../../shared/stripe/triggers/', import.meta.url));
  try {
    for (const f of readdirSync(triggers)
      .filter((n) => n.endsWith('.json'))
      .slice(0, 10)) {
      const fixture = JSON.parse(readFileSync(triggers + f, 'utf8')) as unknown;
      sources.push(JSON.stringify({ ...event, data: { object: fixture } }));
    }
  } catch {
    // Not beside this checkout: the two sources above are enough.
  }
  let agreed = 0;
  let shaped = 0;
  for (let n = 0; n < 20_000; n++) {
    let body = sources[n % sources.length]!;
    for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
      const at = Math.floor(next() * body.length);
      const cut = Math.floor(next() * 3);
      body = body.slice(0, at) + pieces[Math.floor(next() * pieces.length)] + body.slice(at + cut);
    }
    const head = readEventHead(Buffer.from(body));
    let parses = true;
    try {
      JSON.parse(body);
    } catch {
      parses = false; // the database refuses it when it is stored: any reading will do
    }
    if (parses) {
      assert.deepEqual(head, expected(body), body);
      agreed++;
      if (head) shaped++;
    }
  }
  // Enough mangled bodies still parse for the comparison to mean something.
  console.log('AGREED', agreed, shaped);
  assert.ok(agreed > 1_000, `only ${agreed} bodies parsed`);
});

test('with a depth limit: a head exactly when nestsDeeperThan finds the body within it', () => {
  const limit = 8;
  const wrap = (inner: string) =>
    JSON.stringify({ ...event, data: { object: { id: 'cus_1', x: '@' } } }).replace('"@"', inner);
  const bodies: string[] = [];
  // The event itself nests 3 deep (event, data, object): values inside the object add to that.
  for (let d = 0; d <= limit; d++) {
    bodies.push(wrap(`${'['.repeat(d)}1${']'.repeat(d)}`));
    bodies.push(wrap(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`));
    bodies.push(wrap(`"${'[{'.repeat(d)}\\"[["`)); // brackets inside a string do not count
    bodies.push(JSON.stringify({ ...event, more: JSON.parse(`${'['.repeat(d)}1${']'.repeat(d)}`) }));
    bodies.push(
      JSON.stringify({
        ...event,
        data: { object: { id: 'cus_1' }, p: JSON.parse(`${'['.repeat(d)}1${']'.repeat(d)}`) },
      }),
    );
  }
  let within = 0;
  let beyond = 0;
  for (const body of bodies) {
    const raw = Buffer.from(body);
    const deep = nestsDeeperThan(raw, limit);
    const head = readEventHead(raw, limit);
    if (deep) {
      assert.equal(head, undefined, body);
      beyond++;
    } else {
      assert.deepEqual(head, readEventHead(raw), body);
      assert.ok(head, body);
      within++;
    }
  }
  assert.ok(within > 10 && beyond > 5, `${within} within, ${beyond} beyond`);
});
