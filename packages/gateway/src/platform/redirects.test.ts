import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from './config.js';
import { AppError } from './errors.js';
import { checkRedirect, checkRedirectTemplate } from './redirects.js';

const config = loadConfig({
  PAYDESK_PUBLIC_URL: 'https://billing.example.com',
  PAYDESK_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:3000',
});

describe('checkRedirect', () => {
  test('allows the public origin and the configured ones', () => {
    assert.equal(
      checkRedirect(config, 'https://app.example.com/done?x=1', 'redirect'),
      'https://app.example.com/done?x=1',
    );
    assert.equal(
      checkRedirect(config, 'https://billing.example.com/checkout/return', 'success_url'),
      'https://billing.example.com/checkout/return',
    );
    assert.equal(checkRedirect(config, 'http://localhost:3000/', 'return_url'), 'http://localhost:3000/');
  });

  const attacks = [
    'https://evil.example.com/',
    '//evil.example.com/',
    '/relative/path',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'https:\\\\evil.example.com',
    'https://app.example.com\\@evil.example.com',
    'https://app.example.com@evil.example.com/',
    'https://user:pass@app.example.com/',
    'https://app.example.com.evil.example.com/',
    'https://evil.example.com/https://app.example.com',
    'http://app.example.com/',
    'https://app.example.com:8443/',
    'https://%61pp.example.com@evil.example.com',
    'https://evil.example.com%2f@app.example.com',
    ' https://app.example.com/',
    'https://app.example.com/\nLocation: https://evil.example.com',
    'ftp://app.example.com/',
  ];
  for (const url of attacks) {
    test(`refuses ${JSON.stringify(url)}`, () => {
      assert.throws(
        () => checkRedirect(config, url, 'redirect'),
        (err: unknown) =>
          err instanceof AppError && err.code === 'invalid_redirect' && err.details?.param === 'redirect',
      );
    });
  }

  test('keeps the {CHECKOUT_SESSION_ID} template intact', () => {
    assert.equal(
      checkRedirectTemplate(
        config,
        'https://app.example.com/ok?session_id={CHECKOUT_SESSION_ID}',
        'success_url',
      ),
      'https://app.example.com/ok?session_id={CHECKOUT_SESSION_ID}',
    );
    assert.throws(() =>
      checkRedirectTemplate(config, 'https://evil.example.com/?s={CHECKOUT_SESSION_ID}', 'success_url'),
    );
  });
});
