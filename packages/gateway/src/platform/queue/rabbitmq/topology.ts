// The RabbitMQ topology of paydesk's jobs, declared (idempotently) by every instance on connect:
//
//   <p>jobs            headers exchange; a job's message carries its kind in the `kind` header
//   <p>job.<kind>      one durable quorum queue per kind, bound on `kind`; consumers take from it with
//                      a prefetch of the kind's concurrency; a message rejected for good (the job is
//                      dead) is dead-lettered to <p>jobs.dead
//   <p>jobs.delay.<ms> delay queues (quorum, fixed TTL): a message published there waits <ms>, then
//                      is dead-lettered back to <p>jobs (its headers kept), so it reaches its kind's
//                      queue again: retries with backoff, and jobs scheduled ahead
//   <p>jobs.dead       the dead-letter queue: exhausted jobs, for other tools to see (paydesk's own
//                      record of a dead job is its row; `paydesk jobs retry` publishes it again)
//
// <p> is PAYDESK_RABBITMQ_PREFIX (default `paydesk.`). The payment microservice's queues
// (stripe_refund_requests, stripe_refund_responses) are declared as that service declared them:
// classic and durable, so both can share a broker while switching over.
import type { Channel } from 'amqplib';

/** Delays a delay queue exists for, in ms. A longer wait takes the longest that fits, then again. */
export const DELAY_BUCKETS_MS = [50, 250, 1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000] as const;

export interface Topology {
  prefix: string;
  exchange: string;
  dead: string;
  queueOf(kind: string): string;
  delayQueue(ms: number): string;
}

export function topology(prefix: string): Topology {
  return {
    prefix,
    exchange: `${prefix}jobs`,
    dead: `${prefix}jobs.dead`,
    queueOf: (kind) => `${prefix}job.${kind}`,
    delayQueue: (ms) => `${prefix}jobs.delay.${ms}`,
  };
}

/**
 * The delay queue to wait in for `ms`: the longest bucket not longer than it (the message arrives a
 * little early and waits again for the rest), or the shortest one.
 */
export function delayBucket(ms: number): number {
  let pick: number = DELAY_BUCKETS_MS[0];
  for (const b of DELAY_BUCKETS_MS) if (b <= ms) pick = b;
  return pick;
}

/** Declares the exchange, the delay queues and the dead-letter queue. */
export async function declareJobTopology(ch: Channel, t: Topology): Promise<void> {
  await ch.assertExchange(t.exchange, 'headers', { durable: true });
  await ch.assertQueue(t.dead, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-max-length': 100_000, 'x-overflow': 'drop-head' },
  });
  for (const ms of DELAY_BUCKETS_MS) {
    await ch.assertQueue(t.delayQueue(ms), {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-message-ttl': ms,
        'x-dead-letter-exchange': t.exchange,
        // Quorum queues can dead-letter at least once (not the default at most once): a retry is
        // never dropped on its way back. That needs reject-publish when the queue is full.
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
  }
}

/** Declares a kind's work queue and binds it. */
export async function declareKindQueue(ch: Channel, t: Topology, kind: string): Promise<string> {
  const q = t.queueOf(kind);
  await ch.assertQueue(q, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': t.dead,
    },
  });
  await ch.bindQueue(q, t.exchange, '', { 'x-match': 'all', kind });
  return q;
}

/** The payment microservice's queues, declared as it declared them (classic, durable). */
export async function declareCompatQueue(ch: Channel, name: string): Promise<void> {
  await ch.assertQueue(name, { durable: true });
}
