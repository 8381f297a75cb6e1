// How `paydesk refunds …` and `paydesk jobs …` reach paydesk: the same HTTP routes either way. With a
// running embedded paydesk (server.json), through its API with the admin key; otherwise an app built
// in this process on the database (openTarget), called in memory with a one-off admin key — so the
// commands share the routes' validation, checks and answers.
import { randomBytes } from 'node:crypto';
import type { Config } from '../platform/config.js';
import { openTarget } from './service-context.js';

export interface AdminClient {
  description: string;
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

export async function openAdminClient(config: Config): Promise<AdminClient> {
  const target = await openTarget(config);
  if (target.kind === 'remote') {
    return {
      description: target.description,
      call: (method, path, body) => target.call(method, path, body ?? {}, 120_000),
      close: async () => {},
    };
  }
  const { buildApp } = await import('../app.js');
  const adminKey = `pda_cli_${randomBytes(24).toString('hex')}`;
  const context = { ...target.context, secrets: { ...target.context.secrets, adminKey } };
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(context);
  } catch (err) {
    await target.close();
    throw err;
  }
  return {
    description: target.description,
    async call(method, path, body) {
      const r = await app.inject({
        method,
        url: path,
        headers: { authorization: `Bearer ${adminKey}` },
        ...(method === 'GET' ? {} : { payload: (body ?? {}) as Record<string, unknown> }),
      });
      let json: unknown;
      try {
        json = r.body ? JSON.parse(r.body) : undefined;
      } catch {
        json = undefined;
      }
      return { status: r.statusCode, json };
    },
    async close() {
      await app.close();
      await target.close();
    },
  };
}

/** The error message of an answer that is not a success. */
export function failure(what: string, r: { status: number; json: unknown }): Error {
  const e = (r.json as { error?: { message?: string; details?: Record<string, unknown> } } | undefined)
    ?.error;
  const details = e?.details && Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details)}` : '';
  return new Error(`${what} failed: HTTP ${r.status}${e?.message ? `: ${e.message}` : ''}${details}`);
}

/** A plain text table: a header row and aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
