// Embedded mode's generated secrets: when PAYDESK_JWT_SECRET or PAYDESK_ADMIN_KEY is not set, paydesk
// makes one on first start and keeps it in <data dir>/secrets.json (mode 0600), so a newcomer gets a
// working demo and `paydesk dev token` / `paydesk keys create` can use the same values.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';

export interface Secrets {
  jwtSecret: string | undefined;
  adminKey: string | undefined;
}

interface StoredSecrets {
  jwt_secret: string;
  admin_key: string;
}

export function secretsFile(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

async function readStored(file: string): Promise<StoredSecrets | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<StoredSecrets>;
    if (typeof parsed.jwt_secret === 'string' && typeof parsed.admin_key === 'string') {
      return { jwt_secret: parsed.jwt_secret, admin_key: parsed.admin_key };
    }
    return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The secrets in force. Configured values win; in embedded mode the missing ones come from (or are
 * created in) the data directory; elsewhere they stay unset (and the features needing them are off).
 */
export async function resolveSecrets(
  config: Pick<Config, 'embedded' | 'dataDir' | 'jwtSecret' | 'jwtJwksUrl' | 'adminKey'>,
  options: { create: boolean } = { create: true },
): Promise<Secrets> {
  const needJwt = !config.jwtSecret && !config.jwtJwksUrl;
  if (!config.embedded || (!needJwt && config.adminKey)) {
    return { jwtSecret: config.jwtSecret, adminKey: config.adminKey };
  }
  const file = secretsFile(config.dataDir);
  let stored = await readStored(file);
  if (!stored && options.create) {
    stored = {
      jwt_secret: randomBytes(32).toString('base64url'),
      admin_key: `pda_${randomBytes(24).toString('base64url')}`,
    };
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).catch(
      async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
        stored = await readStored(file); // another process made it first
      },
    );
    await chmod(file, 0o600).catch(() => {});
  }
  return {
    jwtSecret: config.jwtSecret ?? (config.jwtJwksUrl ? undefined : stored?.jwt_secret),
    adminKey: config.adminKey ?? stored?.admin_key,
  };
}
