import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AppError, errorBody, errorCatalog } from './errors.js';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');

describe('error catalog', () => {
  test('docs/errors.md documents every code with its HTTP status', () => {
    const rows = new Map(
      [...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1]!, Number(m[2])] as const),
    );
    for (const [code, { status }] of Object.entries(errorCatalog)) {
      assert.equal(rows.get(code), status, `docs/errors.md: ${code} should be listed with status ${status}`);
    }
    for (const code of rows.keys())
      assert.ok(code in errorCatalog, `docs/errors.md lists unknown code ${code}`);
  });

  test('every code maps to one HTTP error status', () => {
    for (const { status } of Object.values(errorCatalog)) assert.ok(status >= 400 && status <= 599);
  });

  test('the body shape', () => {
    const err = new AppError('conflict', 'Already consumed.', { balance: 3 });
    assert.equal(err.status, 409);
    assert.deepEqual(errorBody(err, 'req_1'), {
      error: { code: 'conflict', message: 'Already consumed.', request_id: 'req_1', details: { balance: 3 } },
    });
    assert.equal(new AppError('not_found').message, errorCatalog.not_found.message);
  });
});
