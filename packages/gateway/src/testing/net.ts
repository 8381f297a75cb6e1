// A TCP port free on 127.0.0.1 right now, for tests that must name a port before they listen (a
// paydesk child process, a public URL the browser is sent to).
//
// The port is drawn below the kernel's ephemeral range (read from /proc, 32768 by default): a port
// the kernel hands out for `listen(0)` or as an outgoing connection's source port could be taken by
// another process (a database client, the browser) between this check and the test's listen, and
// that is how three browser tests once failed with EADDRINUSE. Ports in 20000..(start - 1) are only
// taken by someone naming them, and 25672 (RabbitMQ's distribution port) is left alone.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOW = 20_000;
/** RabbitMQ's distribution port, which sits below the ephemeral range. */
const RABBITMQ_DIST_PORT = 25_672;

function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > LOW + 1000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const HIGH = Math.min(ephemeralStart(), 65_536);

function tryListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (port === RABBITMQ_DIST_PORT) continue;
    if (await tryListen(port)) return port;
  }
  throw new Error(`freePort: no free port found in ${LOW}..${HIGH - 1} after 200 tries`);
}
