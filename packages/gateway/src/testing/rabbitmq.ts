// RabbitMQ for tests: PAYDESK_TEST_RABBITMQ_URL (CI sets it, as .ci/run's RabbitMQ step does) makes
// every test app run its jobs over RabbitMQ, each app under a queue-name prefix of its own so that
// test processes sharing the broker never see each other's messages; its queues are deleted when
// the app closes. Files that only mean something with a broker (*.rabbitmq.ts) refuse to run
// without one instead of passing.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { DELAY_BUCKETS_MS, topology } from '../platform/queue/rabbitmq/topology.js';

export const testRabbitmqUrl = process.env.PAYDESK_TEST_RABBITMQ_URL || undefined;

/** The broker's URL, or a failure saying how to give one (a RabbitMQ test never passes without it). */
export function requireRabbitmq(): string {
  if (!testRabbitmqUrl)
    throw new Error(
      'this test needs RabbitMQ: set PAYDESK_TEST_RABBITMQ_URL (e.g. amqp://guest:guest@127.0.0.1:5672); .ci/run does',
    );
  return testRabbitmqUrl;
}

/** Settings of an app on RabbitMQ under a fresh prefix (its refund queues prefixed too). */
export function rabbitmqEnv(url: string, prefix = `t${process.pid}_${randomBytes(3).toString('hex')}.`) {
  return {
    RABBITMQ_URL: url,
    PAYDESK_RABBITMQ_PREFIX: prefix,
    PAYDESK_RABBITMQ_REFUND_QUEUES: `${prefix}stripe_refund_requests,${prefix}stripe_refund_responses`,
  };
}

/** Deletes what an app declared under `prefix` (its kinds' queues named in `kinds`). */
export async function deleteTopology(url: string, prefix: string, kinds: readonly string[]): Promise<void> {
  const t = topology(prefix);
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    const queues = [
      ...kinds.map((k) => t.queueOf(k)),
      t.dead,
      ...DELAY_BUCKETS_MS.map((ms) => t.delayQueue(ms)),
      `${prefix}stripe_refund_requests`,
      `${prefix}stripe_refund_responses`,
    ];
    for (const q of queues) await ch.deleteQueue(q).catch(() => {});
    await ch.deleteExchange(t.exchange).catch(() => {});
    await ch.close().catch(() => {});
  } finally {
    await conn.close().catch(() => {});
  }
}
