import type { Clock } from '../clock';
import { DAY } from '../clock';
import { describeError } from '../errors';
import { bodySize, type HttpRequest, text } from '../http/http';
import { secretsMatch } from '../http/secret';
import type { Logger } from '../log/logger';
import type { HttpResult } from '../platform/types';
import type { Repositories, Store, UserRecord } from '../storage/port';
import { newUserRecord } from '../users/account';
import {
  type CallbackEnvelope,
  callbackEnvelopeSchema,
  groupJoinSchema,
  groupLeaveSchema,
  languageFromLangId,
  messageAllowSchema,
  messageDenySchema,
  messageNewSchema,
} from './events';

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
    const outcome = await processOnce(event as CallbackEnvelope & { event_id: string }, deps);
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

type Outcome = 'processed' | 'duplicate' | 'ignored';

/** Claims `vk-event:<event_id>` and applies the event's effects in the same transaction. */
async function processOnce(
  event: CallbackEnvelope & { event_id: string },
  deps: CallbackDependencies,
): Promise<Outcome> {
  const { store, clock } = deps;
  return store.transaction(async (repositories) => {
    const now = clock.now();
    const claimed = await repositories.claims.claim({
      key: `vk-event:${event.event_id}`,
      value: { type: event.type, outcome: 'done' },
      createdAt: now,
      expiresAt: now + EVENT_CLAIM_TTL,
    });
    if (!claimed) return 'duplicate';
    return applyEvent(event, repositories, now);
  });
}

/** The effects of one event. Later issues route these into the bot; this layer keeps the user's facts. */
async function applyEvent(
  event: CallbackEnvelope,
  repositories: Repositories,
  now: number,
): Promise<Outcome> {
  switch (event.type) {
    case 'message_new': {
      const parsed = messageNewSchema.safeParse(event.object);
      if (!parsed.success) return 'ignored';
      const { message, client_info } = parsed.data;
      if (message.from_id <= 0 || message.peer_id !== message.from_id) return 'processed';
      await upsertUser(repositories, message.from_id, now, (user) => ({
        ...user,
        language: user.language ?? languageFromLangId(client_info?.lang_id ?? 0),
        // Writing to the community allows it to answer (VK sends message_allow for it too).
        messagesAllowed: user.messagesAllowed ?? true,
      }));
      return 'processed';
    }
    case 'message_allow': {
      const parsed = messageAllowSchema.safeParse(event.object);
      if (!parsed.success) return 'ignored';
      await upsertUser(repositories, parsed.data.user_id, now, (user) => ({
        ...user,
        messagesAllowed: true,
      }));
      return 'processed';
    }
    case 'message_deny': {
      const parsed = messageDenySchema.safeParse(event.object);
      if (!parsed.success) return 'ignored';
      await upsertUser(repositories, parsed.data.user_id, now, (user) => ({
        ...user,
        messagesAllowed: false,
      }));
      return 'processed';
    }
    case 'group_join':
      return groupJoinSchema.safeParse(event.object).success ? 'processed' : 'ignored';
    case 'group_leave':
      return groupLeaveSchema.safeParse(event.object).success ? 'processed' : 'ignored';
    default:
      return 'ignored';
  }
}

async function upsertUser(
  repositories: Repositories,
  userId: number,
  now: number,
  change: (user: UserRecord) => UserRecord,
): Promise<void> {
  const existing = (await repositories.users.get(userId)) ?? newUserRecord(userId, now);
  await repositories.users.put({ ...change(existing), updatedAt: now });
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
