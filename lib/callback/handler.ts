import type { CallbackBot } from '../bot/compose';
import type { Facts } from '../bot/conversation';
import { Turn } from '../bot/turn';
import { decodeUpdate } from '../bot/updates';
import type { Clock } from '../clock';
import { DAY } from '../clock';
import { describeError } from '../errors';
import { bodySize, type HttpRequest, text } from '../http/http';
import { secretsMatch } from '../http/secret';
import type { Logger } from '../log/logger';
import type { HttpResult } from '../platform/types';
import type { Store } from '../storage/port';
import { writeOutbox } from '../tickets/service';
import { type CallbackEnvelope, callbackEnvelopeSchema } from './events';

export interface CallbackSettings {
  groupId: number;
  secret: string;
  confirmationCode: string;
}

export interface CallbackDependencies {
  settings: CallbackSettings;
  store: Store;
  clock: Clock;
  logger: Logger;
  bot: CallbackBot;
}

/** VK bodies are small; anything past this is not VK. */
export const MAX_CALLBACK_BYTES = 1024 * 1024;
/** How long an event id is remembered: longer than VK's whole retry schedule (~2 h). */
const EVENT_CLAIM_TTL = 2 * DAY;
/** X-Retry-Counter counts failed tries; on the third try a still-failing event is recorded and acknowledged. */
const POISON_AFTER_FAILED_TRIES = 2;

/**
 * The VK Callback API endpoint, as a pipeline: size → parse → group → confirmation → secret →
 * claim the event id and apply its effects in one transaction → `ok`.
 *
 * `ok` is answered only after the effects are committed; a failure answers 500 so VK retries, and an
 * event that keeps failing is recorded as poison and acknowledged so it can't block the community's
 * delivery. Never echo anything VK could read as a command (`remove`, `version 5.x`).
 */
export async function handleCallback(request: HttpRequest, deps: CallbackDependencies): Promise<HttpResult> {
  const { settings, logger } = deps;
  if (request.method !== 'POST') return text(405, 'method not allowed', { allow: 'POST' });
  if (bodySize(request) > MAX_CALLBACK_BYTES) {
    logger.warn('callback rejected', { reason: 'too_large', bytes: bodySize(request) });
    return text(413, 'payload too large');
  }
  let parsedBody: unknown;
  try {
    parsedBody = JSON.parse(request.body);
  } catch {
    logger.warn('callback rejected', { reason: 'malformed_json' });
    return text(400, 'malformed json');
  }
  const envelope = callbackEnvelopeSchema.safeParse(parsedBody);
  if (!envelope.success) {
    logger.warn('callback rejected', {
      reason: 'bad_envelope',
      fields: envelope.error.issues.map((i) => i.path.join('.')),
    });
    return text(400, 'bad request');
  }
  const event = envelope.data;
  if (event.group_id !== settings.groupId) {
    logger.warn('callback rejected', { reason: 'foreign_group', groupId: event.group_id });
    return text(403, 'forbidden');
  }
  if (event.type === 'confirmation') {
    logger.info('callback confirmation answered', { groupId: event.group_id });
    return text(200, settings.confirmationCode);
  }
  if (!secretsMatch(event.secret, settings.secret)) {
    logger.warn('callback rejected', { reason: 'bad_secret', type: event.type });
    return text(403, 'forbidden');
  }
  if (!event.event_id) {
    logger.warn('callback rejected', { reason: 'no_event_id', type: event.type });
    return text(400, 'bad request');
  }
  const eventLog = logger.child({ eventId: event.event_id, type: event.type });
  try {
    const outcome = await processOnce(event as CallbackEnvelope & { event_id: string }, deps, eventLog);
    eventLog.info(outcome === 'duplicate' ? 'callback duplicate ignored' : 'callback processed', { outcome });
    return text(200, 'ok');
  } catch (error) {
    const failedTries = Number(request.headers['x-retry-counter'] ?? 0) || 0;
    if (failedTries >= POISON_AFTER_FAILED_TRIES) {
      await recordPoison(event.event_id, error, deps);
      eventLog.error('callback poison event acknowledged', { failedTries, error: describeError(error) });
      return text(200, 'ok');
    }
    eventLog.error('callback failed, VK will retry', { failedTries, error: describeError(error) });
    return text(500, 'retry later');
  }
}

type Outcome = 'duplicate' | 'ignored' | 'rejected' | (string & {});

/**
 * decode → lookups at VK → one transaction: claim `vk-event:<event_id>`, the bot's effects and the
 * rows of its outgoing messages → deliver them → `ok`. A rejected or ignored event writes nothing.
 */
async function processOnce(
  event: CallbackEnvelope & { event_id: string },
  deps: CallbackDependencies,
  log: Logger,
): Promise<Outcome> {
  const { store, clock, bot } = deps;
  const update = decodeUpdate(event, { operatorsChatPeerId: bot.operatorsChatPeerId });
  if (update.kind === 'rejected') {
    log.warn('callback rejected', { reason: update.reason });
    return 'rejected';
  }
  if (update.kind === 'ignored') {
    log.debug('callback ignored', { reason: update.reason });
    return 'ignored';
  }
  // A message or a press from a user whose name is stored needs nothing from VK: the turn reads the
  // user itself (one transaction, not a read and then the turn). Only a user with no name yet sends
  // the turn back, empty-handed, for the name at VK first.
  const optimistic = update.kind === 'message' || update.kind === 'press';
  let facts = optimistic ? noFacts() : await bot.facts.fetch(update, store);
  // Before the turn: whether its replies could leave within the budget decides whose they are first.
  const plan = bot.delivery.plan();
  const applyTurn = (nameKnown: boolean) =>
    // Idempotent, because the claim knows its owner: if the commit's outcome was unknown and the store
    // runs this again, the claim is `mine` and the turn is not applied twice; its replies go out below.
    store.transaction(
      async (repositories) => {
        if (!nameKnown && 'userId' in update) {
          const user = await repositories.users.get(update.userId);
          if (!user?.firstName) return 'needs-name' as const;
        }
        const now = clock.now();
        const claim = await repositories.claims.take({
          key: `vk-event:${event.event_id}`,
          value: { type: event.type, outcome: 'done' },
          createdAt: now,
          expiresAt: now + EVENT_CLAIM_TTL,
        });
        if (claim !== 'taken') return claim;
        const current = new Turn(repositories, now, event.event_id, plan.holdMs);
        const outcome = await bot.bot.apply(update, current, facts);
        await writeOutbox(repositories, current.outbox, now);
        return { turn: current, outcome };
      },
      { idempotent: true },
    );
  let turn: Awaited<ReturnType<typeof applyTurn>>;
  try {
    turn = await applyTurn(!optimistic);
    if (turn === 'needs-name') {
      facts = await bot.facts.fetch(update, store);
      turn = await applyTurn(true);
    }
  } catch (error) {
    plan.release();
    throw error;
  }
  // The second attempt has the name's lookup behind it and skips the check: it never asks again.
  if (turn === 'needs-name') throw new Error('a turn asked for a name twice');
  if (turn === 'mine' || turn === 'held') plan.release();
  if (turn === 'mine') {
    // This invocation's own first attempt committed the turn: send its replies now, not after the rescue.
    await redeliverPending(event.event_id, deps, { stalledOnly: false });
    return 'committed-on-retry';
  }
  if (turn === 'held') {
    await redeliverPending(event.event_id, deps, { stalledOnly: true });
    return 'duplicate';
  }
  await bot.delivery.deliver(turn.turn.outbox.jobs, turn.turn.pressAnswer, plan);
  return turn.outcome;
}

/** What a turn has from VK when it asked for nothing. */
const noFacts = (): Facts => ({ firstName: null, messagesAllowed: null, operator: null });

/** A message older than this and still pending after its event came again was cut off by a crash. */
const STALLED_REPLY_MS = 5000;

/**
 * Replies of an already committed turn that are still pending. For a repeated event (`stalledOnly`)
 * the first delivery died between commit and send (VK got no `ok` and retried): send the stalled
 * ones now rather than after the rescue timer's grace. For this invocation's own turn, committed by
 * an attempt whose commit looked failed, send them all. Their `random_id` keeps a still-running
 * first attempt from doubling them.
 */
async function redeliverPending(
  eventId: string,
  deps: CallbackDependencies,
  { stalledOnly }: { stalledOnly: boolean },
): Promise<void> {
  const stalledBefore = stalledOnly ? deps.clock.now() - STALLED_REPLY_MS : Number.POSITIVE_INFINITY;
  const pending = await deps.store.read(async (repositories) => {
    const jobs = [];
    for (let step = 1; step <= 20; step++) {
      const job = await repositories.jobs.get(`vk:${eventId}:${step}`);
      if (!job) break;
      if (job.status === 'pending' && job.updatedAt <= stalledBefore) jobs.push(job);
    }
    return jobs;
  });
  if (pending.length > 0) await deps.bot.delivery.deliver(pending, null);
}

async function recordPoison(eventId: string, error: unknown, deps: CallbackDependencies): Promise<void> {
  const now = deps.clock.now();
  const reason = error instanceof Error ? error.name : 'unknown';
  await deps.store.transaction((repositories) =>
    repositories.claims.put({
      key: `vk-event:${eventId}`,
      value: { outcome: 'poison', reason },
      createdAt: now,
      expiresAt: now + EVENT_CLAIM_TTL,
    }),
  );
}
