// Embedded mode keeps one process per data directory: a running `paydesk serve` holds the PGlite
// database and the emulator's data file. It announces itself in <dataDir>/server.json; commands run
// in another terminal read it and talk to that process instead of opening the files themselves.
import { readFile } from 'node:fs/promises';
import type { Config } from '../platform/config.js';
import { type ServerInfo, serverInfoFile } from '../server.js';

/** Whether a process with this id exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseInfo(text: string): ServerInfo | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.url !== 'string' || !Number.isInteger(r.pid) || (r.pid as number) <= 0) return undefined;
  return {
    url: r.url,
    pid: r.pid as number,
    ...(typeof r.emulator_url === 'string' ? { emulator_url: r.emulator_url } : {}),
  };
}

/**
 * The paydesk running on this data directory, if server.json names one whose process is alive. A
 * file left by a crashed process (dead pid, unreadable) counts as no server.
 */
export async function runningServer(config: Pick<Config, 'dataDir'>): Promise<ServerInfo | undefined> {
  let text: string;
  try {
    text = await readFile(serverInfoFile(config.dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const info = parseInfo(text);
  return info && processAlive(info.pid) ? info : undefined;
}

/** The running paydesk's emulator: from server.json, or else http://HOST:PAYDESK_EMULATOR_PORT. */
export function emulatorUrlOf(info: ServerInfo, config: Pick<Config, 'host' | 'emulatorPort'>): string {
  if (info.emulator_url) return info.emulator_url;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.emulatorPort}`;
}
