import { Writable } from 'node:stream';
import { type App, type BuildOptions, buildApp } from '../app.js';
import { type Config, loadConfig } from '../platform/config.js';
import { loadMigrations, migrate } from '../platform/db/migrate.js';
import type { Db } from '../platform/db/types.js';
import { createLogger } from '../platform/logger.js';

/** Collects log lines written by a logger, for assertions on what gets logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestAppOptions extends BuildOptions {
  env?: Record<string, string>;
  migrateFirst?: boolean;
}

/** An app on the given database, logging into a LogCapture (debug level). */
export async function createTestApp(
  db: Db,
  options: TestAppOptions = {},
): Promise<{ app: App; logs: LogCapture; config: Config }> {
  const config = loadConfig({ PAYDESK_LOG_LEVEL: 'debug', ...options.env });
  const logs = new LogCapture();
  const logger = createLogger(config, logs);
  if (options.migrateFirst !== false) await migrate(db);
  const app = await buildApp({ config, db, logger, migrations: await loadMigrations() }, options);
  await app.ready();
  return { app, logs, config };
}
