import type { NewJob } from '../queue/jobs';
import type { Repositories, UserRecord } from '../storage/port';
import type { Outbox, TransactionScope } from '../tickets/service';

/** A message the community sends; delivered after the commit with `random_id` from its job id. */
export interface OutgoingMessage {
  peerId: number;
  text: string;
  keyboard?: object;
  attachment?: string;
}

/** The answer a callback-button press needs within VK's minute (a snackbar, or just "handled"). */
export interface PressAnswer {
  eventId: string;
  userId: number;
  peerId: number;
  snackbarText?: string;
}

export const VK_MESSAGE_JOB = 'vk-message';
/** An edit of a message the community sent (`messages.edit`): idempotent, so retried freely. */
export const VK_EDIT_JOB = 'vk-edit';

/** VK's documented cap is 9000; 4096 is what every client shows in one piece. */
const MESSAGE_CHUNK = 4096;

/**
 * What handling one update decided, inside its transaction: the repositories to change, the
 * messages to send and the deferred jobs the ticket service queued. Messages are outbox jobs too,
 * keyed `vk:<update key>:<n>`, so their rows commit with the event's claim and a retry anywhere
 * sends each at most once (the key becomes `random_id`).
 */
export class Turn {
  readonly outbox: Outbox = { jobs: [] };
  pressAnswer: PressAnswer | null = null;
  /** The user's row as this transaction read it before the turn began (one read, not two). */
  userRead: { userId: number; user: UserRecord | null } | null = null;
  #sent = 0;

  constructor(
    readonly repositories: Repositories,
    readonly now: number,
    /** The update's own id (`event_id`): the root of every key this turn makes. */
    readonly key: string,
    /**
     * How long the messages stay the callback's to send before the deferred worker may take them
     * (their `dueAt`): the callback's own try (`REPLY_HOLD_MS`), or 0 when it leaves them to the worker.
     */
    readonly replyHoldMs = 0,
  ) {}

  get scope(): TransactionScope {
    return { repositories: this.repositories, outbox: this.outbox };
  }

  send(message: OutgoingMessage): void {
    const chunks = splitText(message.text, MESSAGE_CHUNK);
    chunks.forEach((text, index) => {
      const last = index === chunks.length - 1;
      const job: NewJob = {
        jobId: `vk:${this.key}:${++this.#sent}`,
        kind: VK_MESSAGE_JOB,
        payload: {
          peerId: message.peerId,
          text,
          ...(last && message.keyboard ? { keyboard: message.keyboard } : {}),
          ...(last && message.attachment ? { attachment: message.attachment } : {}),
        },
        dueAt: this.now + this.replyHoldMs,
      };
      this.outbox.jobs.push(job);
    });
  }

  /** Replaces the text (and keyboard) of a message the community sent in a dialog. */
  edit(edit: { peerId: number; conversationMessageId: number; text: string; keyboard?: object }): void {
    this.outbox.jobs.push({
      jobId: `vk:${this.key}:edit:${edit.conversationMessageId}`,
      kind: VK_EDIT_JOB,
      payload: { ...edit },
      dueAt: this.now + this.replyHoldMs,
    });
  }

  answerPress(answer: PressAnswer): void {
    this.pressAnswer = answer;
  }
}

/** Splits at line breaks (or spaces) so no piece exceeds `limit`. */
export function splitText(text: string, limit: number): string[] {
  if (text.length <= limit) return [text];
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    let cut = rest.lastIndexOf('\n', limit);
    if (cut < limit / 2) cut = rest.lastIndexOf(' ', limit);
    if (cut < limit / 2) cut = limit;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^[\n ]/, '');
  }
  if (rest) pieces.push(rest);
  return pieces;
}
