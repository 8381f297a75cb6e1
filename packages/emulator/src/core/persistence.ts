import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { App, Snapshot } from './app.js';

/** Writes the app's snapshot to `file` atomically (temp file + rename). */
export function saveSnapshot(app: App, file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(app.snapshot()));
  renameSync(tmp, file);
}

/** Loads `file` into the app if it exists; returns whether it did. */
export function loadSnapshot(app: App, file: string): boolean {
  if (!existsSync(file)) return false;
  const data = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  app.restore(data);
  return true;
}
