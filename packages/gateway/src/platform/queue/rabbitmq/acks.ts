// A consumer channel's acknowledgements, gathered: acks made in the same turn of the event loop go
// out as one `multiple` ack for the longest run of settled deliveries from the oldest unsettled one,
// and one ack each for the rest. A delivery rejected (nack) is sent at once. The broker so settles a
// batch of finished jobs in one command instead of one per message; nothing is acknowledged that
// was not acked here (a `multiple` ack covers only deliveries that are all acked or rejected).
import type { Channel, Message } from 'amqplib';

export class Acks {
  /** Delivered and not yet sent back as acked or rejected, by delivery tag. */
  private readonly open = new Set<number>();
  /** Acked here, not yet sent. */
  private acked: number[] = [];
  private scheduled = false;

  constructor(private readonly ch: Channel) {}

  delivered(m: Message): void {
    this.open.add(m.fields.deliveryTag);
  }

  ack(m: Message): void {
    this.acked.push(m.fields.deliveryTag);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  nack(m: Message, requeue: boolean): void {
    this.open.delete(m.fields.deliveryTag);
    this.ch.nack(m, false, requeue);
  }

  /** Sends the acks made so far (before the channel closes). */
  flush(): void {
    this.scheduled = false;
    if (this.acked.length === 0) return;
    const tags = this.acked.sort((a, b) => a - b);
    this.acked = [];
    for (const t of tags) this.open.delete(t);
    // The oldest delivery still open: everything acked below it can go as one multiple ack.
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of this.open) if (t < oldest) oldest = t;
    let upTo = 0;
    const single: number[] = [];
    for (const t of tags) {
      if (t < oldest) upTo = t;
      else single.push(t);
    }
    try {
      if (upTo > 0) this.ch.ack(tag(upTo), true);
      for (const t of single) this.ch.ack(tag(t), false);
    } catch {
      // The channel closed meanwhile: its deliveries are redelivered, and each is a no-op then.
    }
  }
}

/** What amqplib's ack needs of a message: its delivery tag. */
function tag(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}
