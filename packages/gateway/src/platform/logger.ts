import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import { redactJsonLine } from './redact.js';

export type { Logger };

/** Header names whose values never reach a log line, whatever they contain. */
const secretHeaders = [
  'authorization',
  'cookie',
  'set-cookie',
  'stripe-signature',
  'x-api-key',
  'proxy-authorization',
];

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const paths = secretHeaders.flatMap((h) => [
    `req.headers["${h}"]`,
    `res.headers["${h}"]`,
    `headers["${h}"]`,
  ]);
  return pino(
    {
      level: config.logLevel,
      base: { service: 'paydesk' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths, censor: '[REDACTED]' },
      formatters: {
        level: (label) => ({ level: label }),
      },
      // The last step before a line is written: whatever a caller logged (messages, errors,
      // request URLs, headers) is scrubbed of Stripe keys, secrets and card numbers here.
      hooks: { streamWrite: redactJsonLine },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
