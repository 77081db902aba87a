import type { ServerResponse } from 'node:http';
import type { Fault } from './faults';
import type { RecordedCall, SandboxState, SentMessage } from './types';

/** One method's answer: its `response` (and how it was reached, e.g. `duplicate`), or a VK error. */
export type MethodAnswer = { response: unknown; outcome?: string } | { error: number; message: string };

/** A failed call inside `execute`, as VK lists it in `execute_errors`. */
export interface ExecuteErrorEntry {
  method: string;
  error_code: number;
  error_msg: string;
}

/** What an API request gets: an answer (with `execute_errors`), an error, or a broken transport. */
export type RequestAnswer =
  | { response: unknown; outcome?: string; executeErrors?: ExecuteErrorEntry[]; loseAnswer?: boolean }
  | { error: number; message: string; loseAnswer?: boolean }
  | { transport: 'http500' | 'timeout' };

/**
 * What an API method's handler sees of the sandbox: its options and state, the state only the methods
 * keep, and the two effects a sent message has (recorded with VK's ids, echoed to the callback server).
 */
export interface MethodContext extends SandboxState {
  /** `messages.send`'s dedup: `<peer>:<random_id>` → the id of the message first sent. */
  readonly randomIds: Map<string, number>;
  /** Every notification VK delivered, per user: its limits (1 an hour, 3 a day, no repeated text) use it. */
  readonly delivered: Map<number, Array<{ at: number; text: string }>>;
  /** `notifications.sendMessage`'s answers by `random_id`: a repeat is answered as the first call was. */
  readonly notificationAnswers: Map<string, unknown>;
  /** Records a message the community sent, with the next message and conversation message ids. */
  record(peerId: number, text: string, keyboard: unknown, randomId: number): SentMessage;
  /** VK reports what the community sent to a user back to its callback server as `message_reply`. */
  echo(message: SentMessage): void;
}

export type MethodHandler = (
  params: Record<string, string>,
  context: MethodContext,
) => MethodAnswer | Promise<MethodAnswer>;

/** An area's API methods by name, e.g. `{'users.get': …}`; the sandbox joins the areas' tables. */
export type MethodTable = Record<string, MethodHandler>;

/** The steps of answering an API request, as the sandbox wires them (an `execute` reuses them per call). */
export interface ApiSteps {
  readonly calls: RecordedCall[];
  /** Whether VK's per-second limit refuses this token's request (the sandbox counts the refusal). */
  refusedByRateLimit(token: string): boolean;
  takeFault(method: string, scope: 'request' | 'call'): Fault | undefined;
  /** One API method, called directly or from `execute`: VK's checks, effects and answer. */
  invoke(method: string, params: Record<string, string>): Promise<MethodAnswer>;
  /** A request played as a timeout: left unanswered until the client gives up (its socket closes). */
  leaveUnanswered(response: ServerResponse): void;
}

export const ok = (value: unknown, outcome = 'ok'): MethodAnswer => ({ response: value, outcome });

export const fail = (code: number, message: string): MethodAnswer => ({ error: code, message });

/** VK's error 100 naming what was wrong. */
export const invalid = (what: string): MethodAnswer =>
  fail(100, `One of the parameters specified was missing or invalid: ${what}`);
