import { parseArgs } from 'node:util';
import { z } from 'zod';
import { signUserToken } from '../platform/auth/jwt.js';
import { loadConfig } from '../platform/config.js';
import { resolveSecrets } from '../platform/secrets.js';
import type { Command } from './run.js';
import { UsageError } from './usage.js';

const TTL = /^([1-9]\d{0,5})(s|m|h|d)$/;
const MAX_TTL_SECONDS = 30 * 24 * 3600;
const unit = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export const devTokenCommand: Command = {
  summary: 'Print a user JWT for trying the API by hand (signed with the configured secret).',
  usage: [
    'Usage: paydesk dev token <user> [--email EMAIL] [--ttl 1h]',
    '',
    "Prints an HS256 JWT whose subject is <user> (the user's external_id in the host product), with",
    "paydesk's issuer and audience, signed with PAYDESK_JWT_SECRET (in embedded mode without it, the",
    'secret paydesk generated in <PAYDESK_DATA_DIR>/secrets.json). For development: in production the',
    'host product signs its users’ tokens.',
    '',
    'Options:',
    '  --email EMAIL   an email claim (used when paydesk creates the user’s Stripe customer)',
    '  --ttl TTL       lifetime: a number and s, m, h or d (default 1h, at most 30d)',
  ].join('\n'),
  async run(args, env, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { email: { type: 'string' }, ttl: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('name exactly one user (their external_id).');
    const user = positionals[0]!;
    if (user.length > 200) throw new UsageError('the user id is at most 200 characters.');
    const ttl = values.ttl ?? '1h';
    const m = TTL.exec(ttl);
    if (!m) throw new UsageError(`--ttl ${ttl}: expected a number and s, m, h or d, such as 15m or 1h.`);
    if (Number(m[1]) * unit[m[2] as keyof typeof unit] > MAX_TTL_SECONDS) {
      throw new UsageError('--ttl is at most 30d.');
    }
    if (values.email !== undefined && !z.email().safeParse(values.email).success) {
      throw new UsageError(`--email ${values.email}: not an email address.`);
    }
    const config = loadConfig(env);
    if (!config.jwtSecret && config.jwtJwksUrl) {
      io.err(
        'paydesk dev token: this paydesk verifies user tokens with a JWKS URL (PAYDESK_JWT_JWKS_URL), so it\n' +
          'holds no key to sign one. Get a token from the identity provider behind that URL instead.\n',
      );
      return 1;
    }
    const { jwtSecret } = await resolveSecrets(config);
    if (!jwtSecret) {
      io.err(
        'paydesk dev token: no JWT secret is configured. Set PAYDESK_JWT_SECRET (at least 32 characters),\n' +
          'the secret the host product signs its users’ tokens with.\n',
      );
      return 1;
    }
    const token = await signUserToken(jwtSecret, {
      subject: user,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      expiresIn: ttl,
      ...(values.email ? { email: values.email } : {}),
    });
    io.out(`${token}\n`);
    return 0;
  },
};
