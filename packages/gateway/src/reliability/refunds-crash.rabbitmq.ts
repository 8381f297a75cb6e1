// The refunds crash test with paydesk's jobs on RabbitMQ (see refunds-crash.ts): killed with SIGKILL
// twice while 500 refunds are queued or running, restarted, each refunded exactly once. Needs the
// broker (PAYDESK_TEST_RABBITMQ_URL; .ci/run runs this file by name).
import { test } from 'node:test';
import { REFUND_JOB } from '../refunds/service.js';
import { deleteTopology, rabbitmqEnv, requireRabbitmq } from '../testing/rabbitmq.js';
import { CRASH_REFUNDS, refundsCrash } from './refunds-crash.js';

test(`RabbitMQ: ${CRASH_REFUNDS} async refunds, paydesk killed with SIGKILL while they run: each refunded exactly once`, async () => {
  const url = requireRabbitmq();
  const env = rabbitmqEnv(url);
  try {
    await refundsCrash({ rabbitmq: { url, env } });
  } finally {
    await deleteTopology(url, env.PAYDESK_RABBITMQ_PREFIX, [
      REFUND_JOB,
      'notify',
      'refund.cancel_subscription',
      'whmcs.record-payment',
    ]);
  }
});
