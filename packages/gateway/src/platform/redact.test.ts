import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactJsonLine, redactString } from './redact.js';

describe('redactString', () => {
  test('Stripe secret, restricted and publishable keys and webhook secrets', () => {
    assert.equal(redactString('key sk_live_51Habc123DEF456'), 'key sk_[REDACTED]');
    assert.equal(redactString('rk_test_abcdefgh12'), 'rk_[REDACTED]');
    assert.equal(redactString('whsec_0123456789abcdef'), 'whsec_[REDACTED]');
    assert.equal(
      redactString('key pdk_ABCDEFGHIJKLMNOP_abcdefghijklmnopqrstuvwxyz012345'),
      'key pdk_[REDACTED]',
    );
  });

  test('bearer tokens', () => {
    assert.equal(redactString('Authorization: Bearer eyJhbGciOi.J9.abc'), 'Authorization: Bearer [REDACTED]');
  });

  test('card numbers written plain, with spaces or with dashes, when they pass the Luhn check', () => {
    assert.equal(redactString('pan 4242424242424242 ok'), 'pan [REDACTED CARD] ok');
    assert.equal(redactString('4000 0027 6000 3184'), '[REDACTED CARD]');
    assert.equal(redactString('5555-5555-5555-4444'), '[REDACTED CARD]');
  });

  test('long numbers that are not card numbers are kept', () => {
    assert.equal(redactString('order 4242424242424241'), 'order 4242424242424241');
    assert.equal(redactString('id 123456789012'), 'id 123456789012');
  });

  test('text without anything secret is returned as it is', () => {
    const text = 'GET /v1/customers/cus_123 200 in 4 ms';
    assert.equal(redactString(text), text);
  });
});

describe('redactJsonLine', () => {
  test('scrubs inside strings and leaves numbers alone, keeping the line valid JSON', () => {
    const line = JSON.stringify({
      responseTime: 9.10098199999993,
      msg: 'card 4242424242424242',
      n: 4242424242424242,
    });
    const out = redactJsonLine(line);
    const parsed = JSON.parse(out) as { msg: string; n: number; responseTime: number };
    assert.equal(parsed.msg, 'card [REDACTED CARD]');
    assert.equal(parsed.n, 4242424242424242);
    assert.equal(parsed.responseTime, 9.10098199999993);
  });

  test('handles escaped quotes inside strings', () => {
    const line = JSON.stringify({ msg: 'he said "sk_test_abcdef123456" twice' });
    assert.equal(JSON.parse(redactJsonLine(line)).msg, 'he said "sk_[REDACTED]" twice');
  });
});
