// The payment microservice's RabbitMQ messages, which paydesk keeps publishing in RabbitMQ mode so
// that consumers of its queues keep working (docs/compat.md, "RabbitMQ queues"): every refund paydesk
// is asked for goes to the requests queue, and each refund's outcome to the responses queue, in the
// microservice's shapes. Both are outbox messages: written in the transaction of the refund's
// state, published after it commits.
import type { AppContext } from '../context.js';
import type { Tx } from '../platform/db/tx.js';
import type { RefundRow } from './store.js';

/** Marks what paydesk published itself (its own consumer of the requests queue skips those). */
export const PAYDESK_APP_ID = 'paydesk';

export interface RefundRequestMessage {
  payment_intent_id: string;
  amount: number | null;
  reason: string | null;
  order_id: string | number | null;
  request_id: string;
  timestamp: number;
}

export type RefundResponseMessage =
  | {
      success: true;
      refund_id: string | null;
      amount: number;
      status: string;
      order_id: string | number | null;
      request_id: string;
      timestamp: number;
    }
  | {
      success: false;
      error: string;
      order_id: string | number | null;
      request_id: string | null;
      timestamp: number;
    };

type QueueServices = Pick<AppContext, 'config' | 'rabbitmq' | 'now'>;

const seconds = (s: Pick<AppContext, 'now'>) => Math.floor(s.now().getTime() / 1000);
const orderOf = (r: RefundRow) => r.metadata.order_id ?? null;

/** A refund paydesk was asked for, to the requests queue (in RabbitMQ mode with the queues on). */
export async function publishRefundRequest(s: QueueServices, tx: Tx, r: RefundRow): Promise<void> {
  const queues = s.config.refundQueues;
  if (!s.rabbitmq || !queues) return;
  const body: RefundRequestMessage = {
    payment_intent_id: r.stripe_payment_intent_id,
    amount: r.amount,
    reason: r.reason,
    order_id: orderOf(r),
    request_id: r.request_id,
    timestamp: seconds(s),
  };
  await s.rabbitmq.outbox.add(tx, {
    exchange: '',
    routingKey: queues.requests,
    body: JSON.stringify(body),
    properties: { appId: PAYDESK_APP_ID, messageId: `refund-request:${r.id}`, correlationId: r.request_id },
  });
}

/** Builds the response for a refund Stripe answered (made, or refused for good). */
export function refundResponse(s: Pick<AppContext, 'now'>, r: RefundRow): RefundResponseMessage {
  return r.status === 'failed' || r.status === 'canceled'
    ? {
        success: false,
        error: r.failure_reason ?? r.status,
        order_id: orderOf(r),
        request_id: r.request_id,
        timestamp: seconds(s),
      }
    : {
        success: true,
        refund_id: r.stripe_refund_id,
        amount: r.amount,
        status: r.status,
        order_id: orderOf(r),
        request_id: r.request_id,
        timestamp: seconds(s),
      };
}

/** A refund's outcome, to the responses queue (once per outcome: called on leaving queued/processing). */
export async function publishRefundResponse(s: QueueServices, tx: Tx, r: RefundRow): Promise<void> {
  const queues = s.config.refundQueues;
  if (!s.rabbitmq || !queues) return;
  await s.rabbitmq.outbox.add(tx, {
    exchange: '',
    routingKey: queues.responses,
    body: JSON.stringify(refundResponse(s, r)),
    properties: {
      appId: PAYDESK_APP_ID,
      messageId: `refund-response:${r.id}:${r.status}:${r.attempts}`,
      correlationId: r.request_id,
    },
  });
}
