// The payment microservice's requests queue, served: in RabbitMQ mode paydesk takes the place of the
// microservice's consumer of `stripe_refund_requests`. A producer that published a refund request
// there (`{payment_intent_id, amount?, reason?, order_id?, request_id}`) gets it carried out as an
// async refund (the same checks, the request_id as the operation: a repeated request_id never makes
// a second refund), and its outcome on `stripe_refund_responses`. Requests paydesk published itself
// (app id `paydesk`: refunds asked through its API) are acknowledged and left alone.
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import type { Delivery } from '../platform/queue/rabbitmq/broker.js';
import { declareCompatQueue } from '../platform/queue/rabbitmq/topology.js';
import {
  PAYDESK_APP_ID,
  type RefundResponseMessage,
  refundReasons,
  requestRefund,
} from '../refunds/service.js';

const orderId = z.union([z.string().max(500), z.number()]).nullish();

const request = z.object({
  payment_intent_id: z
    .string()
    .regex(/^pi_[A-Za-z0-9_]+$/, 'expected a payment intent id (pi_…)')
    .max(255),
  amount: z.number().int().min(1).max(99_999_999_999).nullish(),
  reason: z.enum(refundReasons).nullish(),
  order_id: orderId,
  request_id: z.union([z.string().min(1).max(255), z.number()]).nullish(),
});

/** Subscribes to the requests queue (RabbitMQ mode with the refund queues on); returns how to stop. */
export async function startRefundRequestConsumer(s: AppContext): Promise<(() => Promise<void>) | undefined> {
  const queues = s.config.refundQueues;
  const rabbit = s.rabbitmq;
  if (!rabbit || !queues) return undefined;
  const respond = (body: RefundResponseMessage, correlationId: string | undefined) =>
    rabbit.broker.publish({
      exchange: '',
      routingKey: queues.responses,
      body: JSON.stringify(body),
      properties: { appId: PAYDESK_APP_ID, ...(correlationId ? { correlationId } : {}) },
    });
  const handle = async (d: Delivery) => {
    const { message } = d;
    if (message.properties.appId === PAYDESK_APP_ID) return d.ack();
    let raw: unknown;
    try {
      raw = JSON.parse(message.content.toString('utf8'));
    } catch {
      raw = undefined;
    }
    const parsed = request.safeParse(raw);
    const rawObj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const order = orderId.safeParse(rawObj.order_id);
    const orderValue = order.success ? (order.data ?? null) : null;
    const fail = async (error: string, requestId: string | null) => {
      await respond(
        {
          success: false,
          error,
          order_id: orderValue,
          request_id: requestId,
          timestamp: Math.floor(s.now().getTime() / 1000),
        },
        requestId ?? undefined,
      );
      d.ack();
    };
    const messageId =
      typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const rid = typeof rawObj.request_id === 'string' ? rawObj.request_id : null;
      return fail(
        `invalid request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'not JSON'}`,
        rid,
      );
    }
    const b = parsed.data;
    const requestId =
      b.request_id != null ? String(b.request_id) : messageId ? `amqp:${messageId}` : undefined;
    if (!requestId) return fail('invalid request: request_id is required (or a message id)', null);
    try {
      await requestRefund(s, {
        target: { payment_intent: b.payment_intent_id },
        amount: b.amount ?? undefined,
        reason: b.reason ?? undefined,
        requestId,
        metadata: b.order_id != null ? { order_id: String(b.order_id) } : undefined,
        async: true,
        fromQueue: true,
      });
      // Queued (or, for a repeated request_id, already known): the outcome follows on the responses queue.
      d.ack();
    } catch (err) {
      if (err instanceof AppError && err.status < 500) return fail(err.message, requestId);
      throw err;
    }
  };
  const sub = await rabbit.broker.consume({
    queue: queues.requests,
    prefetch: 8,
    declare: (ch) => declareCompatQueue(ch, queues.requests),
    onMessage: (d) => {
      handle(d).catch((err: unknown) => {
        s.logger.warn({ err }, 'refund request from RabbitMQ not handled; returned to the queue');
        setTimeout(() => d.nack(true), 1_000).unref();
      });
    },
  });
  return async () => {
    await sub.pause();
    await sub.close();
  };
}
