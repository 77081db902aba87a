import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { type Clock, systemClock } from '../clock';
import type { SqliteStore } from '../storage/sqlite/store';
import {
  assertDelay,
  assertMessageSize,
  type MessageQueue,
  type OutgoingMessage,
  type QueueDepth,
  type QueueName,
  type ReceivedMessage,
} from './port';

type AnyQueue = QueueName | `${QueueName}-dlq`;

/**
 * The local stack's queue: rows in the same SQLite file as the store, so a restart loses nothing.
 * It keeps Message Queue's semantics where the code relies on them: at-least-once delivery,
 * `DelaySeconds` ≤ 900, messages and batches ≤ 256 KiB, a visibility timeout after which an
 * undeleted message comes back, and a redrive to `<queue>-dlq` once a message was received
 * `maxReceiveCount` times.
 *
 * Every operation takes its turn on the store's connection (`withConnection`): a message is never
 * written inside someone else's open transaction, and commits with the store's group.
 */
export class EmbeddedQueue implements MessageQueue {
  readonly #store: SqliteStore;
  readonly #clock: Clock;
  readonly #maxReceiveCount: number;
  /** Per connection, by SQL text. */
  readonly #statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

  constructor(store: SqliteStore, options: { clock?: Clock; maxReceiveCount?: number } = {}) {
    this.#store = store;
    const db = store.db;
    this.#clock = options.clock ?? systemClock;
    this.#maxReceiveCount = options.maxReceiveCount ?? 5;
    // Straight on the connection, not in its turn: a queue is built with its store, before any
    // transaction could be open.
    db.exec(`
      CREATE TABLE IF NOT EXISTS queue_messages (
        queue TEXT NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL,
        receipt TEXT,
        sent_at INTEGER NOT NULL,
        delayed INTEGER NOT NULL,
        PRIMARY KEY (queue, message_id)
      );
      CREATE INDEX IF NOT EXISTS queue_messages_visible ON queue_messages (queue, visible_at);
      CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt);
    `);
  }

  async send(queue: AnyQueue, message: OutgoingMessage): Promise<void> {
    await this.sendBatch(queue, [message]);
  }

  async sendBatch(queue: AnyQueue, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length > 10) throw new RangeError('a batch holds at most 10 messages');
    for (const message of messages) assertDelay(message.delaySeconds);
    assertMessageSize(messages);
    const now = this.#clock.now();
    await this.#store.withConnection('write', (db) => {
      const insert = this.#prepared(
        db,
        `INSERT INTO queue_messages (queue, message_id, body, visible_at, receive_count, receipt, sent_at, delayed)
         VALUES (?, ?, ?, ?, 0, NULL, ?, ?)`,
      );
      for (const message of messages) {
        const delayMs = (message.delaySeconds ?? 0) * 1000;
        insert.run(queue, randomUUID(), message.body, now + delayMs, now, delayMs > 0 ? 1 : 0);
      }
    });
  }

  async receive(
    queue: AnyQueue,
    options: { maxMessages: number; visibilityTimeoutSeconds: number },
  ): Promise<ReceivedMessage[]> {
    const now = this.#clock.now();
    // A look first, without the write lock: pollers ask often, and mostly find nothing.
    const any = await this.#store.withConnection('read', (db) =>
      this.#prepared(db, 'SELECT 1 FROM queue_messages WHERE queue = ? AND visible_at <= ? LIMIT 1').get(
        queue,
        now,
      ),
    );
    if (!any) return [];
    const isDeadLetter = queue.endsWith('-dlq');
    return this.#store.withConnection('write', (db) => {
      const candidates = this.#prepared(
        db,
        'SELECT * FROM queue_messages WHERE queue = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?',
      ).all(queue, now, Math.min(10, options.maxMessages) * 2) as Array<Record<string, unknown>>;
      const received: ReceivedMessage[] = [];
      for (const row of candidates) {
        if (received.length >= options.maxMessages) break;
        const receiveCount = Number(row.receive_count);
        if (!isDeadLetter && receiveCount >= this.#maxReceiveCount) {
          // Redrive, as SQS does on the receive that would exceed maxReceiveCount.
          this.#prepared(
            db,
            `UPDATE queue_messages SET queue = ?, visible_at = ?, receive_count = 0, receipt = NULL, delayed = 0
               WHERE queue = ? AND message_id = ?`,
          ).run(`${queue}-dlq`, now, queue, row.message_id);
          continue;
        }
        const receipt = randomUUID();
        this.#prepared(
          db,
          `UPDATE queue_messages SET visible_at = ?, receive_count = ?, receipt = ?, delayed = 0
             WHERE queue = ? AND message_id = ?`,
        ).run(
          now + options.visibilityTimeoutSeconds * 1000,
          receiveCount + 1,
          receipt,
          queue,
          row.message_id,
        );
        received.push({
          messageId: String(row.message_id),
          body: String(row.body),
          receiptHandle: receipt,
          receiveCount: receiveCount + 1,
          sentAt: Number(row.sent_at),
        });
      }
      return received;
    }); // read-then-write in a write group: the write lock first, or two processes deadlock
  }

  async delete(queue: AnyQueue, receiptHandle: string): Promise<void> {
    await this.#store.withConnection('write', (db) =>
      this.#prepared(db, 'DELETE FROM queue_messages WHERE queue = ? AND receipt = ?').run(
        queue,
        receiptHandle,
      ),
    );
  }

  async depth(queue: AnyQueue): Promise<QueueDepth> {
    const now = this.#clock.now();
    const row = (await this.#store.withConnection('read', (db) =>
      this.#prepared(
        db,
        `SELECT
           SUM(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END) AS visible,
           SUM(CASE WHEN visible_at > ? AND delayed = 0 THEN 1 ELSE 0 END) AS in_flight,
           SUM(CASE WHEN visible_at > ? AND delayed = 1 THEN 1 ELSE 0 END) AS delayed
         FROM queue_messages WHERE queue = ?`,
      ).get(now, now, now, queue),
    )) as Record<string, number | null>;
    return { visible: row.visible ?? 0, inFlight: row.in_flight ?? 0, delayed: row.delayed ?? 0 };
  }

  /** Each SQL text prepared once per connection for the queue's life. */
  #prepared(db: Database.Database, sql: string): Database.Statement {
    let statements = this.#statements.get(db);
    if (!statements) {
      statements = new Map();
      this.#statements.set(db, statements);
    }
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  }
}
