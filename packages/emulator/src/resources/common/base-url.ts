import type { App } from '../../core/app.js';

/**
 * The URL the emulator is reachable at, for the absolute URLs it hands out (3-D Secure redirects,
 * Checkout and portal pages). Set by `startEmulator` once it listens; kept per App so several
 * emulators in one process each link to themselves.
 */
const urls = new WeakMap<App, string>();

export function setBaseUrl(app: App, url: string): void {
  urls.set(app, url.replace(/\/$/, ''));
}

export function baseUrl(app: App): string {
  return urls.get(app) ?? 'http://127.0.0.1:12111';
}
