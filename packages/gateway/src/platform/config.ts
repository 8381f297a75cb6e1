// The whole configuration, parsed once at start from the environment, validated, frozen and passed
// down. Nothing else in paydesk reads process.env.
import { z } from 'zod';

/** The publishable key browsers use with an emulator (it takes any `pk_test_…`). */
export const EMULATOR_PUBLISHABLE_KEY = 'pk_test_paydesk_embedded';

/** The publishable key browsers get: STRIPE_PUBLISHABLE_KEY, else (no secret key: an emulator) the emulator's. */
export function publishableKeyOf(
  config: Pick<Config, 'stripePublishableKey' | 'stripeSecretKey'>,
): string | undefined {
  return (
    config.stripePublishableKey ??
    (config.stripeSecretKey === undefined ? EMULATOR_PUBLISHABLE_KEY : undefined)
  );
}

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
  STRIPE_PUBLISHABLE_KEY: {
    schema: z
      .string()
      .regex(/^pk_(test|live)_[A-Za-z0-9_]+$/, 'expected a publishable key (pk_test_… or pk_live_…)')
      .optional(),
    doc: 'Stripe publishable key (`pk_…`, same mode as the secret key) handed to browsers: the billing pages’ Payment Element and the subscription prototype’s `GET /config`. In embedded mode the emulator’s `pk_test_…` is used when unset; with real Stripe and no key, the billing pages pay through Checkout only.',
  },
  STRIPE_API_BASE: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^/?#]+\/?$/, 'expected a base URL such as http://127.0.0.1:12111')
      .optional(),
    doc: 'Send Stripe API calls to this base URL instead of api.stripe.com (an emulator started separately).',
  },
  PAYDESK_EMULATOR_PORT: {
    schema: intSetting(0, 65535).default(12111),
    doc: 'Embedded mode: port of the in-process Stripe emulator, whose hosted pages the browser opens (0 picks a free one).',
  },
  PAYDESK_INSTANCE_ID: {
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected 1–40 lowercase letters, digits, _ or -')
      .default('default'),
    doc: 'Names this paydesk in the metadata of everything it creates in Stripe, so several instances can share one Stripe account.',
  },
  PAYDESK_PUBLIC_URL: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, 'expected an absolute http(s) URL without query or fragment')
      .optional(),
    doc: 'The URL browsers reach paydesk at (default `http://HOST:PORT`); default return pages are built from it.',
  },
  PAYDESK_ALLOWED_ORIGINS: {
    schema: z.string().optional(),
    doc: 'Comma-separated origins (`https://app.example.com`) that success, cancel, return and redirect URLs may point to. The public URL’s origin is always allowed.',
  },
  PAYDESK_FRONTEND_URL: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, 'expected an absolute http(s) URL without query or fragment')
      .optional(),
    doc: 'Base URL that relative redirects of the compat routes (the credit shop’s `/front/checkout/success`) resolve against (default: the public URL). Its origin is allowed.',
  },
  PAYDESK_CATALOG: {
    schema: z.string().min(1).optional(),
    doc: 'Catalog file (JSON or YAML) declaring credit packs and plans. Default: the demo catalog shipped in `packages/gateway/catalog/demo.yaml`.',
  },
  PAYDESK_JWT_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: 'HS256 secret that end-user JWTs are signed with. In embedded mode without it, paydesk generates one in the data directory.',
  },
  PAYDESK_JWT_JWKS_URL: {
    schema: z
      .string()
      .regex(/^https?:\/\//, 'expected an http(s) URL')
      .optional(),
    doc: 'JWKS URL to verify end-user JWTs (RS256/ES256…) instead of a shared secret.',
  },
  PAYDESK_JWT_ISSUER: {
    schema: z.string().min(1).default('paydesk'),
    doc: 'Required `iss` claim of end-user JWTs.',
  },
  PAYDESK_JWT_AUDIENCE: {
    schema: z.string().min(1).default('paydesk'),
    doc: 'Required `aud` claim of end-user JWTs.',
  },
  PAYDESK_ADMIN_KEY: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: 'Key for the admin API (API key management, console). In embedded mode without it, paydesk generates one in the data directory.',
  },
  PAYDESK_CONSOLE_READONLY_KEY: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: 'A second, lesser key (≥ 32 characters) that signs in to the operator console read-only: it sees every view and can change nothing. Unset: no read-only sign-in.',
  },
  PAYDESK_CONSOLE_SESSION_MINUTES: {
    schema: intSetting(5, 1440).default(120),
    doc: 'How long an operator console sign-in lasts before the key must be entered again.',
  },
  PAYDESK_CHECKOUT_EXPIRY_MINUTES: {
    schema: intSetting(30, 1440).default(30),
    doc: 'How long a Checkout session stays open (Stripe allows 30 minutes to 24 hours).',
  },
  PAYDESK_GRACE_PERIOD_DAYS: {
    schema: intSetting(0, 60).default(7),
    doc: 'Days a `past_due` subscription keeps its entitlements while Stripe retries the payment.',
  },
  PAYDESK_REFUND_CLAWBACK: {
    schema: z
      .enum(['true', 'false'], 'expected true or false')
      .default('true')
      .transform((v) => v === 'true'),
    doc: 'Whether refunding a credit pack takes its credits back, in proportion to the amount refunded (never below a zero balance: the part already spent is recorded as a shortfall and reported).',
  },
  PAYDESK_DISPUTE_CREDITS: {
    schema: z.enum(['freeze', 'clawback', 'off'], 'expected freeze, clawback or off').default('freeze'),
    doc: 'What a dispute (chargeback) on a credit pack does to its credits: `freeze` holds them until the dispute closes (given back if won), `clawback` takes them back for good, `off` leaves them.',
  },
  PAYDESK_DISPUTE_ACCESS: {
    schema: z.enum(['suspend', 'keep'], 'expected suspend or keep').default('suspend'),
    doc: "Whether a dispute on a subscription payment suspends the customer's entitlements (`suspend`: until the dispute is won) or leaves them (`keep`).",
  },
  PAYDESK_NOTIFY_URL: {
    schema: z
      .string()
      .regex(/^https?:\/\//, 'expected an http(s) URL')
      .optional(),
    doc: "The host product's endpoint for paydesk's signed notifications (payment, subscription, entitlement, credit and refund changes).",
    requires: 'PAYDESK_NOTIFY_SECRET',
  },
  PAYDESK_NOTIFY_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: 'Secret paydesk signs notifications with (HMAC-SHA256). Required with `PAYDESK_NOTIFY_URL`.',
  },
  PAYDESK_WHMCS_URL: {
    schema: z
      .string()
      .regex(/^https?:\/\/[^?#]+$/, 'expected an http(s) URL without query or fragment')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
    doc: "WHMCS's SystemURL (its client area base, where `includes/api.php` is). Enables the WHMCS bridge (`/whmcs/pay`); browsers are only ever sent back to pages under it.",
    requires: 'PAYDESK_WHMCS_IDENTIFIER',
  },
  PAYDESK_WHMCS_IDENTIFIER: {
    schema: z.string().min(1).optional(),
    doc: 'WHMCS API credential identifier (API role: GetInvoice, GetClientsDetails, GetTransactions, AddInvoicePayment). Required with `PAYDESK_WHMCS_URL`.',
    requires: 'PAYDESK_WHMCS_SECRET',
  },
  PAYDESK_WHMCS_SECRET: {
    schema: z.string().min(1).optional(),
    doc: 'WHMCS API credential secret. Required with `PAYDESK_WHMCS_URL`.',
    requires: 'PAYDESK_WHMCS_MODULE_SECRET',
  },
  PAYDESK_WHMCS_MODULE_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: "The shared secret of the WHMCS module's Pay button (its `Shared secret` setting). Required with `PAYDESK_WHMCS_URL`.",
  },
  PAYDESK_DB_POOL_SIZE: {
    schema: intSetting(1, 200).default(10),
    doc: 'Maximum PostgreSQL connections per instance (ignored on PGlite).',
  },
  PAYDESK_PRODUCT_NAME: {
    schema: z.string().min(1).max(60).default('paydesk'),
    doc: 'The product name the billing pages show in their header and titles.',
  },
  PAYDESK_BRAND_COLOR: {
    schema: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour such as #4f46e5')
      .transform((c) => c.toLowerCase())
      .default('#4f46e5'),
    doc: 'The billing pages’ accent colour (buttons, links, the current plan), `#rrggbb`.',
  },
  PAYDESK_PAGES_DEMO_SIGNIN: {
    schema: z.enum(['true', 'false'], 'expected true or false').optional(),
    doc: 'Offer a demo sign-in (pick or create a demo user) on the billing pages. Default: on in embedded mode (no `STRIPE_SECRET_KEY`), off otherwise.',
  },
  PAYDESK_PAGES_SESSION_MINUTES: {
    schema: intSetting(5, 43_200).default(720),
    doc: 'How long a billing-pages sign-in lasts before the user must come through a new link.',
  },
  STRIPE_JS_URL: {
    schema: z
      .string()
      .regex(
        /^https?:\/\/[^/?#]+\/[^?#]*$/,
        'expected an absolute http(s) URL such as https://js.stripe.com/v3/',
      )
      .optional(),
    doc: 'Where the billing pages load Stripe.js from. Default: the emulator’s `/v3/` in embedded mode, `https://js.stripe.com/v3/` with real Stripe.',
  },
  REDIS_URL: {
    schema: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .optional(),
    doc: 'Redis URL; when set, rate-limit counters are kept there, shared by every instance (else in memory, per instance).',
  },
  PAYDESK_RATE_LIMIT_PUBLIC: {
    schema: intSetting(0, 1_000_000).default(300),
    doc: 'Requests per client address per window on public routes (pages, catalog, the seed systems’ routes); 0 turns the limit off.',
  },
  PAYDESK_RATE_LIMIT_USER: {
    schema: intSetting(0, 1_000_000).default(300),
    doc: 'Requests per end user (JWT subject) per window on routes that accept user tokens; 0 turns the limit off. API keys and the admin key are not limited.',
  },
  PAYDESK_RATE_LIMIT_WINDOW_SECONDS: {
    schema: intSetting(1, 86_400).default(60),
    doc: 'The rate limits’ window, in seconds.',
  },
  PAYDESK_TRUST_PROXY: {
    schema: z
      .string()
      .regex(
        /^(true|false|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/,
        'expected true, false, or comma-separated proxy addresses/CIDRs',
      )
      .default('false'),
    doc: 'Whether to take the client address from `X-Forwarded-For` (behind a reverse proxy): `true`, `false`, or the proxies’ addresses/CIDRs (comma-separated). Rate limits count per client address.',
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
  stripeApiBase: string | undefined;
  /** STRIPE_PUBLISHABLE_KEY as set (publishableKeyOf applies the emulator's in embedded mode). */
  stripePublishableKey: string | undefined;
  emulatorPort: number;
  instanceId: string;
  publicUrl: string;
  allowedOrigins: readonly string[];
  /** What relative redirects resolve against (PAYDESK_FRONTEND_URL, default the public URL). */
  frontendUrl: string;
  catalogPath: string | undefined;
  jwtSecret: string | undefined;
  jwtJwksUrl: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  adminKey: string | undefined;
  consoleReadonlyKey: string | undefined;
  consoleSessionMinutes: number;
  checkoutExpiryMinutes: number;
  gracePeriodDays: number;
  refundClawback: boolean;
  disputeCredits: 'freeze' | 'clawback' | 'off';
  disputeAccess: 'suspend' | 'keep';
  notifyUrl: string | undefined;
  notifySecret: string | undefined;
  productName: string;
  brandColor: string;
  pagesDemoSignIn: boolean;
  pagesSessionMinutes: number;
  stripeJsUrl: string | undefined;
  redisUrl: string | undefined;
  rateLimitPublic: number;
  rateLimitUser: number;
  rateLimitWindowSeconds: number;
  /** Fastify's trustProxy: whether (and which) X-Forwarded-For hops to believe. */
  trustProxy: boolean | readonly string[];
  /** The WHMCS bridge, when PAYDESK_WHMCS_URL is set (the other three settings come with it). */
  whmcs: Readonly<{ url: string; identifier: string; secret: string; moduleSecret: string }> | undefined;
  /** No STRIPE_SECRET_KEY: paydesk runs against the emulator (in-process unless STRIPE_API_BASE). */
  embedded: boolean;
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
  if (v.STRIPE_SECRET_KEY?.includes('_live_') && v.STRIPE_API_BASE) {
    throw new ConfigError('STRIPE_API_BASE', 'cannot be used with a live STRIPE_SECRET_KEY');
  }
  const hostForUrl = v.HOST === '0.0.0.0' || v.HOST === '::' ? '127.0.0.1' : v.HOST;
  const publicUrl = (
    v.PAYDESK_PUBLIC_URL ?? `http://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${v.PORT}`
  ).replace(/\/$/, '');
  const origins = new Set([new URL(publicUrl).origin]);
  const frontendUrl = (v.PAYDESK_FRONTEND_URL ?? publicUrl).replace(/\/$/, '');
  origins.add(new URL(frontendUrl).origin);
  if (v.STRIPE_PUBLISHABLE_KEY && v.STRIPE_SECRET_KEY) {
    const mode = (key: string) => (key.includes('_live_') ? 'live' : 'test');
    if (mode(v.STRIPE_PUBLISHABLE_KEY) !== mode(v.STRIPE_SECRET_KEY))
      throw new ConfigError(
        'STRIPE_PUBLISHABLE_KEY',
        'is not in the same mode (test/live) as STRIPE_SECRET_KEY',
      );
  }
  for (const raw of (v.PAYDESK_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError('PAYDESK_ALLOWED_ORIGINS', `not an origin: ${raw}`);
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== raw.replace(/\/$/, '')) {
      throw new ConfigError(
        'PAYDESK_ALLOWED_ORIGINS',
        `expected scheme://host[:port] with nothing after it: ${raw}`,
      );
    }
    origins.add(url.origin);
  }
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
    stripeApiBase: v.STRIPE_API_BASE?.replace(/\/$/, ''),
    stripePublishableKey: v.STRIPE_PUBLISHABLE_KEY,
    emulatorPort: v.PAYDESK_EMULATOR_PORT,
    instanceId: v.PAYDESK_INSTANCE_ID,
    publicUrl,
    allowedOrigins: Object.freeze([...origins]),
    frontendUrl,
    catalogPath: v.PAYDESK_CATALOG,
    jwtSecret: v.PAYDESK_JWT_SECRET,
    jwtJwksUrl: v.PAYDESK_JWT_JWKS_URL,
    jwtIssuer: v.PAYDESK_JWT_ISSUER,
    jwtAudience: v.PAYDESK_JWT_AUDIENCE,
    adminKey: v.PAYDESK_ADMIN_KEY,
    consoleReadonlyKey: v.PAYDESK_CONSOLE_READONLY_KEY,
    consoleSessionMinutes: v.PAYDESK_CONSOLE_SESSION_MINUTES,
    checkoutExpiryMinutes: v.PAYDESK_CHECKOUT_EXPIRY_MINUTES,
    gracePeriodDays: v.PAYDESK_GRACE_PERIOD_DAYS,
    refundClawback: v.PAYDESK_REFUND_CLAWBACK,
    disputeCredits: v.PAYDESK_DISPUTE_CREDITS,
    disputeAccess: v.PAYDESK_DISPUTE_ACCESS,
    notifyUrl: v.PAYDESK_NOTIFY_URL,
    notifySecret: v.PAYDESK_NOTIFY_SECRET,
    productName: v.PAYDESK_PRODUCT_NAME,
    brandColor: v.PAYDESK_BRAND_COLOR,
    pagesDemoSignIn:
      (v.PAYDESK_PAGES_DEMO_SIGNIN ?? (v.STRIPE_SECRET_KEY === undefined ? 'true' : 'false')) === 'true',
    pagesSessionMinutes: v.PAYDESK_PAGES_SESSION_MINUTES,
    stripeJsUrl: v.STRIPE_JS_URL,
    redisUrl: v.REDIS_URL,
    rateLimitPublic: v.PAYDESK_RATE_LIMIT_PUBLIC,
    rateLimitUser: v.PAYDESK_RATE_LIMIT_USER,
    rateLimitWindowSeconds: v.PAYDESK_RATE_LIMIT_WINDOW_SECONDS,
    trustProxy: trustProxyOf(v.PAYDESK_TRUST_PROXY),
    whmcs:
      v.PAYDESK_WHMCS_URL &&
      v.PAYDESK_WHMCS_IDENTIFIER &&
      v.PAYDESK_WHMCS_SECRET &&
      v.PAYDESK_WHMCS_MODULE_SECRET
        ? Object.freeze({
            url: v.PAYDESK_WHMCS_URL,
            identifier: v.PAYDESK_WHMCS_IDENTIFIER,
            secret: v.PAYDESK_WHMCS_SECRET,
            moduleSecret: v.PAYDESK_WHMCS_MODULE_SECRET,
          })
        : undefined,
    embedded: v.STRIPE_SECRET_KEY === undefined,
  });
}

function trustProxyOf(value: string): Config['trustProxy'] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return Object.freeze(value.split(','));
}
