// The transactional outbox: a message is a row written in the transaction of the change that causes
// it, so it exists if and only if that change committed. After the commit the writing process
// publishes it (publisher confirms) and deletes the row; rows left behind (the process died between
// commit and publish, the broker was away) are published by the relay of any instance once they are
// a moment old. A message may so be published twice (a crash between the confirm and the delete);
// every consumer treats a second copy as a no-op (the database holds each job's state).
import type { Options } from 'amqplib';
import { Batcher } from '../../batcher.js';
import type { Clock } from '../../clock.js';
import type { Tx } from '../../db/tx.js';
import type { Db } from '../../db/types.js';
import type { Logger } from '../../logger.js';
import type { Broker, Outgoing } from './broker.js';
import { delayBucket, type Topology } from './topology.js';

export interface OutboxMessage {
  exchange: string;
  routingKey: string;
  body: string;
  properties?: Options.Publish;
  /** Not to be delivered before (a job due later): published through a delay queue. */
  notBefore?: Date | null;
}

interface Row extends OutboxMessage {
  id: number;
}

interface OutboxRow {
  id: number;
  exchange: string;
  routing_key: string;
  body: string;
  properties: Options.Publish;
  not_before: Date | null;
}

function fromRow(r: OutboxRow): Row {
  return {
    id: Number(r.id),
    exchange: r.exchange,
    routingKey: r.routing_key,
    body: r.body,
    properties: r.properties,
    notBefore: r.not_before,
  };
}

export interface OutboxOptions {
  db: Db;
  broker: Broker;
  topology: Topology;
  logger: Logger;
  clock: Clock;
  /** How old an unpublished row must be before the relay takes it (its writer may still be at it). */
  recoverAfterMs?: number;
  /** How often the relay looks for such rows. */
  recoverEveryMs?: number;
}

export class Outbox {
  /** Messages written in each open transaction, published after its commit. */
  private readonly written = new WeakMap<Tx, Row[]>();
  private readonly deletes: Batcher<number, void>;
  private readonly inFlight = new Set<Promise<void>>();
  private cancelTimer: (() => void) | undefined;
  private stopped = true;
  private recovering: Promise<void> | undefined;
  /** Messages published (hot path and relay), for tests and the benchmark. */
  published = 0;

  constructor(private readonly options: OutboxOptions) {
    this.deletes = new Batcher<number, void>(
      async (ids) => {
        await options.db.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [ids]);
        return ids.map(() => undefined);
      },
      options.db.kind === 'postgres'
        ? { maxBatch: 1_000, maxInFlight: 2, linger: { ms: 5, fill: 64 } }
        : { maxBatch: 1_000, maxInFlight: 1 },
    );
  }

  /** Writes a message in `tx`; it is published after the commit. */
  async add(tx: Tx, m: OutboxMessage): Promise<void> {
    const r = await tx.query<{ id: number }>(
      `INSERT INTO outbox (exchange, routing_key, body, properties, not_before) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [m.exchange, m.routingKey, m.body, JSON.stringify(m.properties ?? {}), m.notBefore ?? null],
    );
    this.track(tx, { ...m, id: Number(r.rows[0]!.id) });
  }

  /** A row the caller wrote itself in `tx` (a job's, in the statement that made the job). */
  track(tx: Tx, row: Row): void {
    let rows = this.written.get(tx);
    if (!rows) {
      const list: Row[] = [];
      rows = list;
      this.written.set(tx, list);
      tx.afterCommit(() => this.relay(list));
    }
    rows.push(row);
  }

  /** What to send for a row now: a message due later goes to the delay queue that fits. */
  outgoing(m: OutboxMessage): Outgoing {
    const wait = m.notBefore ? m.notBefore.getTime() - this.options.clock.now() : 0;
    if (wait > 5) {
      return {
        exchange: '',
        routingKey: this.options.topology.delayQueue(delayBucket(wait)),
        body: m.body,
        properties: m.properties ?? {},
      };
    }
    return { exchange: m.exchange, routingKey: m.routingKey, body: m.body, properties: m.properties ?? {} };
  }

  /** Publishes committed rows and deletes each once confirmed; a failure leaves it for the relay. */
  private relay(rows: readonly Row[]): void {
    const p = Promise.all(
      rows.map(async (row) => {
        try {
          await this.options.broker.publish(this.outgoing(row));
          this.published++;
          await this.deletes.submit(row.id);
        } catch (err) {
          this.options.logger.debug({ err, outbox: row.id }, 'outbox: left for the relay');
        }
      }),
    ).then(() => {});
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Starts the relay of rows left behind. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.options.clock.timer(ms, () => {
      this.recovering = this.recover()
        .then(() => {})
        .catch((err: unknown) => this.options.logger.warn({ err }, 'outbox relay failed; retrying'))
        .finally(() => {
          this.recovering = undefined;
          this.schedule(this.options.recoverEveryMs ?? 1_000);
        });
    });
  }

  /**
   * Publishes rows older than the recovery age (left by a process that died, or while the broker was
   * away), a batch at a time, each batch under row locks so that two relays do not take the same.
   */
  async recover(): Promise<number> {
    let total = 0;
    for (;;) {
      if (!this.options.broker.connected) return total;
      // Taken by pushing their age forward (no lock is held while publishing, so the writer's own
      // delete never waits): another relay skips them until the recovery age has passed again.
      const r = await this.options.db.query<OutboxRow>(
        `UPDATE outbox SET created_at = now() WHERE id = ANY(ARRAY(
           SELECT id FROM outbox WHERE created_at < now() - ($1::int * interval '1 millisecond')
           ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED))
         RETURNING id, exchange, routing_key, body, properties, not_before`,
        [this.options.recoverAfterMs ?? 2_000],
      );
      const rows = r.rows.map(fromRow);
      const sent: number[] = [];
      await Promise.all(
        rows.map(async (row) => {
          try {
            await this.options.broker.publish(this.outgoing(row));
            sent.push(row.id);
          } catch {
            // still here for the next round
          }
        }),
      );
      if (sent.length > 0)
        await this.options.db.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [sent]);
      this.published += sent.length;
      const n = { rows: rows.length, sent: sent.length };
      total += n.sent;
      if (n.sent > 0)
        this.options.logger.info({ messages: n.sent }, 'outbox: relayed messages left unpublished');
      if (n.rows < 500 || n.sent < n.rows) return total;
    }
  }

  /** Rows not yet published (all instances). */
  async size(): Promise<number> {
    const r = await this.options.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
    return r.rows[0]!.n;
  }

  /** Local publishes under way. */
  get busy(): boolean {
    return this.inFlight.size > 0 || this.deletes.pending > 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.recovering;
    await Promise.all(this.inFlight);
    await this.deletes.settled();
  }
}
