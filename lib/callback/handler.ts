import { createHash } from 'node:crypto';
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
import type { ClaimOutcome, Repositories, Store, UserRecord } from '../storage/port';
import { writeOutbox } from '../tickets/service';
import { type CallbackEnvelope, callbackEnvelopeSchema, type EventIdentity, eventIdentity } from './events';

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
  // From here on every event is answered `ok` unless its effects failed: whatever the bot can't use
  // is logged and acknowledged, since VK retries anything else and then pauses the whole server.
  const identity = eventIdentity(event);
  const eventLog = logger.child({ eventId: identity.key, type: event.type });
  try {
    const result = await processOnce(event, identity, deps);
    if (result.outcome === 'rejected') eventLog.warn('callback rejected', { reason: result.reason });
    else if (result.outcome === 'ignored') eventLog.info('callback ignored', { reason: result.reason });
    else if (result.outcome === 'duplicate')
      eventLog.info('callback duplicate ignored', { outcome: 'duplicate' });
    else eventLog.info('callback processed', { outcome: result.outcome });
    return text(200, 'ok');
  } catch (error) {
    const failedTries = Number(request.headers['x-retry-counter'] ?? 0) || 0;
    if (failedTries >= POISON_AFTER_FAILED_TRIES) {
      await recordPoison(identity, error, deps);
      eventLog.error('callback poison event acknowledged', { failedTries, error: describeError(error) });
      return text(200, 'ok');
    }
    eventLog.error('callback failed, VK will retry', { failedTries, error: describeError(error) });
    return text(500, 'retry later');
  }
}

type Outcome = 'duplicate' | 'ignored' | 'rejected' | (string & {});

/**
 * decode → lookups at VK → one transaction: claim `vk-event:<identity>`, the bot's effects and the
 * rows of its outgoing messages → deliver them → `ok`. A rejected or ignored event writes nothing.
 */
async function processOnce(
  event: CallbackEnvelope,
  identity: EventIdentity,
  deps: CallbackDependencies,
): Promise<{ outcome: Outcome; reason?: string }> {
  const { store, clock, bot } = deps;
  const update = decodeUpdate(event, {
    operatorsChatPeerId: bot.operatorsChatPeerId,
    operatorsChatPeerIds: bot.operatorsChatPeerIds,
  });
  if (update.kind === 'rejected' || update.kind === 'ignored')
    return { outcome: update.kind, reason: update.reason };
  // A message or a press from a user whose name is stored needs nothing from VK: the turn reads the
  // user itself (one transaction, not a read and then the turn). Only a user with no name yet sends
  // the turn back, empty-handed, for the name at VK first.
  const optimistic = update.kind === 'message' || update.kind === 'press';
  let facts = optimistic ? noFacts() : await bot.facts.fetch(update, store);
  // Before the turn: whether its replies could leave within the budget decides whose they are first.
  const plan = bot.delivery.plan();
  const applyTurn = (nameKnown: boolean): Promise<TurnResult> =>
    // Idempotent, because the claim knows its owner: if the commit's outcome was unknown and the store
    // runs this again, the claim is `mine` and the turn is not applied twice; its replies go out below.
    store.transaction(
      async (repositories) => {
        let read: UserRecord | null | undefined;
        if (!nameKnown && 'userId' in update) {
          read = await repositories.users.get(update.userId);
          if (!read?.firstName) return { status: 'needs-name' };
        }
        const now = clock.now();
        const claim = await claimEvent(repositories, identity, event.type, now);
        if (claim.outcome !== 'taken') return { status: claim.outcome, turnKey: claim.turnKey };
        const current = new Turn(repositories, now, claim.turnKey, plan.holdMs);
        // The turn reads the same row again otherwise; nothing wrote it in between (the claim only).
        if (read !== undefined && 'userId' in update)
          current.userRead = { userId: update.userId, user: read };
        const outcome = await bot.bot.apply(update, current, facts);
        await writeOutbox(repositories, current.outbox, now);
        return { status: 'applied', turn: current, outcome };
      },
      { idempotent: true },
    );
  let turn: TurnResult;
  try {
    turn = await applyTurn(!optimistic);
    if (turn.status === 'needs-name') {
      facts = await bot.facts.fetch(update, store);
      turn = await applyTurn(true);
    }
  } catch (error) {
    plan.release();
    throw error;
  }
  // The second attempt has the name's lookup behind it and skips the check: it never asks again.
  if (turn.status === 'needs-name') throw new Error('a turn asked for a name twice');
  if (turn.status !== 'applied') {
    plan.release();
    // `mine`: this invocation's own first attempt committed the turn: send its replies now, not after
    // the rescue. `held`: a repeat, which sends only what a crashed first delivery left stalled.
    const mine = turn.status === 'mine';
    await redeliverPending(turn.turnKey, deps, { stalledOnly: !mine });
    return { outcome: mine ? 'committed-on-retry' : 'duplicate' };
  }
  await bot.delivery.deliver(turn.turn.outbox.jobs, turn.turn.pressAnswer, plan);
  return { outcome: turn.outcome };
}

/**
 * Claims an event in its turn's transaction and says which key the turn's effects hang on (message
 * job ids and their `random_id`, analytics event ids): the claim that holds it records it.
 *
 * A `once` event's key names one occurrence forever, so it is the root itself; its claim only has to
 * outlive VK's retries. A `change` (a join, a leave, an allow, a deny without an event_id) has no
 * id of its own, so neither an expiring claim nor a permanent one on `group_join:<user>` would do:
 * the one would let a retry through once it expired, the other would swallow the user's next join
 * (and a root reused after expiry would find its messages' jobs and analytics rows already there).
 * Instead the claim lasts as long as a `once` claim but is freed by the opposite change (a leave
 * frees the user's join), is taken over by another variant of the same change (a join `request`,
 * then `approved`), and roots its turn at the time it was taken, which keeps every turn's keys new.
 * A retry of a join that VK resends after the leave that followed it looks like a new join: being
 * out of order by a whole event is rare, and the state it leaves is the one the user last asked for.
 */
async function claimEvent(
  repositories: Repositories,
  identity: EventIdentity,
  type: string,
  now: number,
): Promise<{ outcome: ClaimOutcome; turnKey: string }> {
  const key = `vk-event:${identity.key}`;
  const expiresAt = now + EVENT_CLAIM_TTL;
  if (identity.kind === 'once') {
    const outcome = await repositories.claims.take({
      key,
      value: { type, outcome: 'done' },
      createdAt: now,
      expiresAt,
    });
    return { outcome, turnKey: identity.key };
  }
  // The time it was taken tells a user's changes apart, the variant two within one millisecond.
  const turnKey = `${identity.key}@${now}.${createHash('sha256').update(identity.variant).digest('hex').slice(0, 8)}`;
  const claim = {
    key,
    value: { type, outcome: 'done', variant: identity.variant, turnKey },
    createdAt: now,
    expiresAt,
  };
  const outcome = await repositories.claims.take(claim);
  if (outcome !== 'taken') {
    const held = await repositories.claims.get(key, now);
    const heldTurnKey = typeof held?.value.turnKey === 'string' ? held.value.turnKey : turnKey;
    if (outcome === 'mine' || !held || held.value.variant === identity.variant)
      return { outcome, turnKey: heldTurnKey };
    await repositories.claims.put(claim);
  }
  // Expired at once: the user's next opposite change is a new event.
  await repositories.claims.put({
    key: `vk-event:${identity.undoneBy}`,
    value: { type, outcome: 'undone' },
    createdAt: now,
    expiresAt: now,
  });
  return { outcome: 'taken', turnKey };
}

/**
 * What a turn's transaction came to: the user's name is needed first, the event was claimed before
 * (by this same call's earlier attempt, or by another delivery) with its effects under `turnKey`,
 * or the turn was applied.
 */
type TurnResult =
  | { status: 'needs-name' }
  | { status: 'mine' | 'held'; turnKey: string }
  | { status: 'applied'; turn: Turn; outcome: string };

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
  turnKey: string,
  deps: CallbackDependencies,
  { stalledOnly }: { stalledOnly: boolean },
): Promise<void> {
  const stalledBefore = stalledOnly ? deps.clock.now() - STALLED_REPLY_MS : Number.POSITIVE_INFINITY;
  const pending = await deps.store.read(async (repositories) => {
    const jobs = [];
    for (let step = 1; step <= 20; step++) {
      const job = await repositories.jobs.get(`vk:${turnKey}:${step}`);
      if (!job) break;
      if (job.status === 'pending' && job.updatedAt <= stalledBefore) jobs.push(job);
    }
    return jobs;
  });
  if (pending.length > 0) await deps.bot.delivery.deliver(pending, null);
}

async function recordPoison(
  identity: EventIdentity,
  error: unknown,
  deps: CallbackDependencies,
): Promise<void> {
  const now = deps.clock.now();
  const reason = error instanceof Error ? error.name : 'unknown';
  await deps.store.transaction((repositories) =>
    repositories.claims.put({
      key: `vk-event:${identity.key}`,
      // A change's variant, so that VK's next retries of it stay held and another variant doesn't.
      value: {
        outcome: 'poison',
        reason,
        ...(identity.kind === 'change' ? { variant: identity.variant } : {}),
      },
      createdAt: now,
      expiresAt: now + EVENT_CLAIM_TTL,
    }),
  );
}
