// One connection to RabbitMQ per process, kept up: a lost connection (the broker restarted, a
// network cut, an operator closing it) is re-opened with backoff, the topology declared again, and
// every consumer subscribed again. Publishing goes through one confirm channel: publish() resolves
// once the broker has taken the message (persisted it, for a durable queue), and rejects if the
// connection went away first, so a caller never believes an unconfirmed message was sent.

import { Socket } from 'node:net';
import amqp, {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Options,
} from 'amqplib';
import type { Logger } from '../../logger.js';
import { Acks } from './acks.js';

export interface Outgoing {
  exchange: string;
  routingKey: string;
  body: string | Buffer;
  properties?: Options.Publish;
}

/** A delivery and what to do with it; after a lost connection ack/nack do nothing (it is redelivered). */
export interface Delivery {
  message: ConsumeMessage;
  ack(): void;
  /** Rejects it: dead-lettered (requeue false), or back to the queue (requeue true). */
  nack(requeue: boolean): void;
}

export interface ConsumerSpec {
  queue: string;
  prefetch: number;
  /** Declares the queue (and what it needs) on the consumer's channel before subscribing. */
  declare(ch: Channel): Promise<void>;
  onMessage(d: Delivery): void;
}

/** A consumer's subscription: stop receiving (pause), then close its channel. */
export interface Subscription {
  pause(): Promise<void>;
  close(): Promise<void>;
}

export interface BrokerOptions {
  url: string;
  /** The connection's name in the broker's management tools. */
  name: string;
  logger: Logger;
  /** Declares what every connection needs (the topology), on the publishing channel. */
  setup(ch: Channel): Promise<void>;
  /** Longest wait for a connection before a publish fails (ms). */
  publishWaitMs?: number;
}

/**
 * amqplib writes every frame (a publish, an ack) to the socket on its own: with Nagle off, a system
 * call and a TCP segment each. Corked for the rest of the tick, the frames written in one tick go in
 * one write. The socket is amqplib's `connection.stream` (not in its typings); if a later amqplib
 * no longer has it, frames simply go one by one again.
 */
function coalesceWrites(model: ChannelModel): void {
  const stream = (model as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  if (!(stream instanceof Socket)) return;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  stream.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(() => {
        corked = false;
        stream.uncork();
      });
    }
    return write(...args);
  }) as typeof stream.write;
}

export class Broker {
  private model: ChannelModel | undefined;
  private publisher: ConfirmChannel | undefined;
  private readonly consumers = new Set<ConsumerSpec>();
  private readonly channels = new Map<ConsumerSpec, { ch: Channel; tag: string; acks: Acks }>();
  private closed = false;
  private connecting: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private retryMs = 100;
  /** Connections opened so far (tests check that a cut connection came back). */
  connections = 0;

  constructor(private readonly options: BrokerOptions) {}

  get connected(): boolean {
    return this.publisher !== undefined;
  }

  /** Connects (the first attempt's failure is thrown: a wrong URL stops the start). */
  async start(): Promise<void> {
    await this.connect();
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const model = await amqp.connect(this.options.url, {
      clientProperties: { connection_name: this.options.name },
      // amqplib leaves Nagle's algorithm on: a small frame (a publish, an ack) then waits for the
      // broker's delayed TCP ack, some 20–40 ms, before it is sent.
      noDelay: true,
    });
    coalesceWrites(model);
    try {
      model.on('error', (err: Error) => this.options.logger.warn({ err }, 'RabbitMQ connection error'));
      model.on('close', () => this.lost(model));
      const publisher = await model.createConfirmChannel();
      publisher.on('error', (err: Error) => this.options.logger.warn({ err }, 'RabbitMQ channel error'));
      await this.options.setup(publisher);
      this.model = model;
      this.publisher = publisher;
      this.connections++;
      this.retryMs = 100;
      for (const c of this.consumers) await this.subscribe(c);
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
    for (const w of this.waiters.splice(0)) w();
    if (this.connections > 1) this.options.logger.info('RabbitMQ connection restored');
  }

  private lost(model: ChannelModel): void {
    if (this.model !== model && this.model !== undefined) return;
    this.model = undefined;
    this.publisher = undefined;
    this.channels.clear();
    if (this.closed) return;
    this.options.logger.warn('RabbitMQ connection lost; reconnecting');
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.closed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(5_000, this.retryMs * 2);
    setTimeout(() => {
      if (this.closed || this.model) return;
      this.connect().catch((err: unknown) => {
        this.options.logger.warn({ err, retry_ms: this.retryMs }, 'RabbitMQ: could not reconnect yet');
        this.reconnectLater();
      });
    }, wait).unref();
  }

  private async subscribe(c: ConsumerSpec): Promise<void> {
    const model = this.model;
    if (!model) return;
    const ch = await model.createChannel();
    ch.on('error', (err: Error) =>
      this.options.logger.warn({ err, queue: c.queue }, 'RabbitMQ channel error'),
    );
    ch.on('close', () => {
      if (this.channels.get(c)?.ch === ch) this.channels.delete(c);
    });
    await c.declare(ch);
    await ch.prefetch(c.prefetch);
    const acks = new Acks(ch);
    const entry = { ch, tag: '', acks };
    this.channels.set(c, entry);
    const ok = await ch.consume(c.queue, (message) => {
      if (!message) return; // cancelled by the broker (queue deleted): the next connection subscribes again
      acks.delivered(message);
      let settled = false;
      const live = () => {
        if (settled || this.channels.get(c)?.ch !== ch) return false;
        settled = true;
        return true;
      };
      c.onMessage({
        message,
        ack: () => {
          if (live()) acks.ack(message);
        },
        nack: (requeue) => {
          if (live()) acks.nack(message, requeue);
        },
      });
    });
    entry.tag = ok.consumerTag;
  }

  /** Subscribes now (if connected) and after every reconnection, until the returned cancel. */
  async consume(c: ConsumerSpec): Promise<Subscription> {
    this.consumers.add(c);
    if (this.model) await this.subscribe(c);
    return {
      pause: async () => {
        // No more deliveries; those received are still acknowledged on their channel.
        this.consumers.delete(c);
        const e = this.channels.get(c);
        if (e?.tag) await e.ch.cancel(e.tag).catch(() => {});
      },
      close: async () => {
        this.consumers.delete(c);
        const e = this.channels.get(c);
        this.channels.delete(c);
        // Acks made so far go first; closing the channel hands the rest back to the queue.
        e?.acks.flush();
        await e?.ch.close().catch(() => {});
      },
    };
  }

  /** Waits for a connection, up to the publish wait. */
  private async ready(): Promise<ConfirmChannel> {
    if (this.publisher) return this.publisher;
    if (this.closed) throw new Error('RabbitMQ: the broker connection is closed');
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error('RabbitMQ: not connected'));
      }, this.options.publishWaitMs ?? 5_000);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push(done);
    });
    if (!this.publisher) throw new Error('RabbitMQ: not connected');
    return this.publisher;
  }

  /** Publishes persistently; resolves once the broker confirmed it. */
  async publish(m: Outgoing): Promise<void> {
    const ch = await this.ready();
    await new Promise<void>((resolve, reject) => {
      try {
        ch.publish(
          m.exchange,
          m.routingKey,
          typeof m.body === 'string' ? Buffer.from(m.body) : m.body,
          { persistent: true, contentType: 'application/json', ...m.properties },
          (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
        );
      } catch (err) {
        reject(err);
      }
    });
  }

  /** A channel of its own for a one-off look (queue depths in tests and the benchmark). */
  async channel(): Promise<Channel> {
    await this.ready();
    return this.model!.createChannel();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    const model = this.model;
    this.model = undefined;
    this.publisher = undefined;
    this.channels.clear();
    await this.connecting?.catch(() => {});
    await model?.close().catch(() => {});
    if (this.model) await (this.model as ChannelModel).close().catch(() => {});
  }
}
