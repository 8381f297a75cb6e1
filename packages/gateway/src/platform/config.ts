// The whole configuration, parsed once at start from the environment, validated, frozen and passed
// down. Nothing else in paydesk reads process.env.
import { z } from 'zod';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intSetting = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/**
 * Every setting paydesk reads, with its default. The `doc` strings feed the README's configuration
 * table (a test keeps the two in step).
 */
export const settings = {
  PORT: { schema: intSetting(0, 65535).default(8080), doc: 'TCP port the HTTP server listens on.' },
  HOST: { schema: z.string().min(1).default('127.0.0.1'), doc: 'Address the HTTP server binds to.' },
  DATABASE_URL: {
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
      .optional(),
    doc: 'PostgreSQL connection URL. When unset, paydesk uses the embedded PGlite database.',
  },
  PAYDESK_DATA_DIR: {
    schema: z.string().min(1).default('./.paydesk'),
    doc: 'Directory for embedded-mode state (the PGlite database lives in `<dir>/pglite`).',
  },
  PAYDESK_LOG_LEVEL: {
    schema: z.enum(logLevels).default('info'),
    doc: 'Log level: fatal, error, warn, info, debug, trace or silent.',
  },
  PAYDESK_BODY_LIMIT: {
    schema: intSetting(1024, 64 * 1024 * 1024).default(1024 * 1024),
    doc: 'Largest accepted request body, in bytes.',
  },
  PAYDESK_SHUTDOWN_TIMEOUT_MS: {
    schema: intSetting(100, 600_000).default(10_000),
    doc: 'On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway.',
  },
  STRIPE_SECRET_KEY: {
    schema: z
      .string()
      .regex(
        /^(sk|rk)_(test|live)_[A-Za-z0-9]+$/,
        'expected a Stripe secret key (sk_test_…, sk_live_…, rk_…)',
      )
      .optional(),
    doc: 'Stripe secret key (`sk_test_…`, `sk_live_…` or a restricted `rk_…`) for real-Stripe mode.',
    requires: 'STRIPE_WEBHOOK_SECRET',
  },
  STRIPE_WEBHOOK_SECRET: {
    schema: z
      .string()
      .regex(
        /^whsec_[A-Za-z0-9+/=_-]+(,whsec_[A-Za-z0-9+/=_-]+)*$/,
        'expected whsec_… secrets, comma-separated',
      )
      .optional(),
    doc: 'Webhook signing secret(s) `whsec_…`, comma-separated during rotation. Required with `STRIPE_SECRET_KEY`.',
  },
  PAYDESK_DB_POOL_SIZE: {
    schema: intSetting(1, 200).default(10),
    doc: 'Maximum PostgreSQL connections per instance (ignored on PGlite).',
  },
} as const;

type Settings = typeof settings;
export type SettingName = keyof Settings;

export type Config = Readonly<{
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: (typeof logLevels)[number];
  bodyLimit: number;
  shutdownTimeoutMs: number;
  dbPoolSize: number;
  stripeSecretKey: string | undefined;
  stripeWebhookSecrets: readonly string[];
}>;

/** A setting that is missing, invalid or unknown. Its message is the one line printed at start. */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`invalid configuration: ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Settings that only make sense together: setting the key makes the named one required. */
const requirements = Object.entries(settings).flatMap(([name, s]) =>
  'requires' in s ? [{ name, requires: s.requires }] : [],
);

const env = z.object(Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.schema])));

/** Parses the environment (process.env or a test's own object) into a frozen Config. */
export function loadConfig(source: Readonly<Record<string, string | undefined>>): Config {
  const known = new Set<string>(Object.keys(settings));
  const unknown = Object.keys(source)
    .filter((k) => k.startsWith('PAYDESK_') && !known.has(k))
    .sort();
  if (unknown.length > 0) {
    throw new ConfigError(unknown[0]!, 'unknown setting (see the configuration table in README.md)');
  }
  const picked: Record<string, string> = {};
  for (const key of known) {
    const value = source[key];
    // An empty value counts as unset, as shells make it easy to export FOO= by accident.
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = env.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0] ?? 'configuration');
    const problem =
      issue.code === 'invalid_type' && picked[setting] === undefined ? 'required' : issue.message;
    throw new ConfigError(setting, problem);
  }
  for (const { name, requires } of requirements) {
    if (picked[name] !== undefined && picked[requires] === undefined) {
      throw new ConfigError(requires, `required when ${name} is set`);
    }
  }
  const v = parsed.data as { [K in SettingName]: z.output<Settings[K]['schema']> };
  return Object.freeze({
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL,
    dataDir: v.PAYDESK_DATA_DIR,
    logLevel: v.PAYDESK_LOG_LEVEL,
    bodyLimit: v.PAYDESK_BODY_LIMIT,
    shutdownTimeoutMs: v.PAYDESK_SHUTDOWN_TIMEOUT_MS,
    dbPoolSize: v.PAYDESK_DB_POOL_SIZE,
    stripeSecretKey: v.STRIPE_SECRET_KEY,
    stripeWebhookSecrets: Object.freeze(v.STRIPE_WEBHOOK_SECRET ? v.STRIPE_WEBHOOK_SECRET.split(',') : []),
  });
}
