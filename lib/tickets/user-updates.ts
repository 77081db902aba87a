import { type Clock, DAY, HOUR, MINUTE } from '../clock';
import type { Logger } from '../log/logger';
import type { AppNotifications } from '../notifications/app-notification';
import { capFreesAt, claimNotificationSlot, notificationSendKey, utcDay } from '../notifications/daily-cap';
import type { JobHandler, NewJob } from '../queue/jobs';
import { quietHoursEnd } from '../schedule/quiet-hours';
import type {
  DeferredJobRecord,
  Language,
  QuietHours,
  Repositories,
  Store,
  TicketMessageRecord,
  TicketStatus,
} from '../storage/port';
import { recordNotAllowed } from '../users/account';
import type { VkClient } from '../vk/client';
import { VkRecipientUnavailableError } from '../vk/errors';
import {
  afterSent,
  afterUndeliverable,
  chatMessageOf,
  dropped,
  type InflightUpdates,
  notificationOf,
  type PendingUpdate,
  parseUpdateState,
  type UserUpdateState,
  userUpdatesKey,
  withUpdate,
} from './update-digest';

/**
 * Telling users of their tickets' replies and status changes, never dropping one while they allow
 * messages or notifications. Each event's `ticket-update` job adds it to the user's pending updates
 * (a claim row, `ticket-updates:<userId>`), then whatever is pending goes out as one message or one
 * notification if it can now; if not (quiet hours, VK's hourly or daily notification limit) a
 * `ticket-updates-due` job takes it all when it can. The budget is VK's own allowance, where ticket
 * updates come before campaigns (`capVerdict`); `NOTIFY_DAILY_CAP` limits campaigns only.
 */
export interface UserUpdateDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Community token: messages to users who allow them. */
  groupVk: VkClient;
  /** Mini app notifications (service token) for the others. */
  appNotifications: AppNotifications;
  timezone: string;
  /** Quiet hours of users who set none (DEFAULT_QUIET_HOURS). */
  defaultQuietHours: QuietHours | null;
  schedule: (job: NewJob) => Promise<void>;
}

/** How long a user's update state is kept after its last change: far longer than any wait. */
const STATE_TTL = 30 * DAY;
/** A user who wrote on a pending ticket this recently is in the conversation: quiet hours don't hold it back. */
const LIVE_CONVERSATION = 30 * MINUTE;
/**
 * How long a send in flight is left to the job making it. A job that finds one younger than this
 * leaves its update pending for that job's next round rather than repeating the call alongside it.
 */
const INFLIGHT_GRACE = MINUTE;
/** Enough for a send that meets new updates, and one more that finds VK's answer disagreeing with ours. */
const ROUNDS = 4;

export function userUpdateJobHandlers(deps: UserUpdateDependencies): Record<string, JobHandler> {
  return {
    'ticket-update': (job) => onTicketEvent(deps, job),
    'ticket-updates-due': async (job) => {
      // The job names the state row, not the user: after an erasure neither holds the user's id.
      const claim = await deps.store.read((r) =>
        r.claims.get(String(job.payload.stateKey), deps.clock.now()),
      );
      const userId = claim?.value.userId;
      if (typeof userId === 'number') await deliverUpdates(deps, userId, null);
    },
  };
}

async function onTicketEvent(deps: UserUpdateDependencies, job: DeferredJobRecord): Promise<void> {
  const ticket = await deps.store.read((repositories) =>
    repositories.tickets.get(String(job.payload.ticketId)),
  );
  if (!ticket || ticket.userId === null) return; // erased: nobody to tell
  const event = job.payload.event === 'reply' ? 'reply' : 'status';
  await deliverUpdates(deps, ticket.userId, {
    // A job postponed by the code before digests (`…:after-quiet`) is the same event.
    key: job.jobId.replace(/:after-quiet$/, ''),
    ticketId: ticket.ticketId,
    number: ticket.number,
    event,
    seq: Number(job.payload.seq),
    status: event === 'status' ? ((job.payload.status as TicketStatus | undefined) ?? ticket.status) : null,
    at: job.createdAt,
  });
}

type Step =
  | { kind: 'done' }
  | { kind: 'wait'; until: number }
  | { kind: 'chat'; inflight: InflightUpdates; text: string; attachments: string[] }
  | { kind: 'notification'; inflight: InflightUpdates; text: string; fragment: string };

async function deliverUpdates(
  deps: UserUpdateDependencies,
  userId: number,
  incoming: PendingUpdate | null,
): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const step = await deps.store.transaction((repositories) =>
      nextStep(deps, repositories, userId, round === 0 ? incoming : null),
    );
    if (step.kind === 'done') return;
    if (step.kind === 'wait') {
      await scheduleDue(deps, userId, step.until);
      deps.logger.debug('ticket updates wait', { userId, until: new Date(step.until).toISOString() });
      return;
    }
    const outcome = await send(deps, userId, step);
    const { sendKey } = step.inflight;
    await deps.store.transaction(async (repositories) => {
      const now = deps.clock.now();
      const state = await readState(repositories, userId, now);
      if (outcome === 'sent') return writeState(repositories, userId, afterSent(state, sendKey), now);
      if (outcome === 'recipient_unavailable') await recordNotAllowed(repositories, userId, now);
      return writeState(repositories, userId, afterUndeliverable(state, sendKey), now);
    });
    if (outcome === 'limited') {
      // VK counted differently from us: the updates wait for the next slot instead of being lost.
      await scheduleDue(deps, userId, deps.clock.now() + HOUR);
      return;
    }
  }
}

/** One job per user and due time, however many updates wait for it. */
function scheduleDue(deps: UserUpdateDependencies, userId: number, until: number): Promise<void> {
  const stateKey = userUpdatesKey(userId);
  return deps.schedule({
    jobId: `${stateKey}:${until}`,
    kind: 'ticket-updates-due',
    payload: { stateKey },
    dueAt: until,
  });
}

/**
 * Adds the incoming update, then decides, in one transaction: nothing to do, wait until a time, or
 * send what is pending (claiming a notification slot first). A send that was under way is repeated
 * with its own key, so a worker that died after VK's answer sends nothing twice.
 */
async function nextStep(
  deps: UserUpdateDependencies,
  repositories: Repositories,
  userId: number,
  incoming: PendingUpdate | null,
): Promise<Step> {
  const now = deps.clock.now();
  const stored = await readState(repositories, userId, now);
  let state = incoming ? withUpdate(stored, incoming) : stored;
  const save = async (next: UserUpdateState) => {
    state = next;
    await writeState(repositories, userId, next, now);
  };
  const saveIfChanged = () => (state === stored ? Promise.resolve() : save(state));
  const user = await repositories.users.get(userId);
  if (!user) {
    if (state.pending.length > 0 || state.inflight) await save({ ...dropped(state), inflight: null });
    return { kind: 'done' };
  }
  const language: Language = user.language ?? 'ru';
  if (state.inflight && now - state.inflight.at < INFLIGHT_GRACE) {
    // Another job is sending right now and will take what this one added on its next round. If it
    // died instead, the due job at the end of the grace repeats its send under the same key.
    if (state !== stored) await save(state);
    return { kind: 'wait', until: state.inflight.at + INFLIGHT_GRACE };
  }
  if (state.inflight) {
    const resend = contentStep(
      language,
      state.inflight,
      await threadsOf(repositories, state.inflight.updates),
    );
    if (resend.kind !== 'done') {
      await saveIfChanged();
      return resend;
    }
    state = afterSent(state, state.inflight.sendKey); // nothing of it is left to say (erased)
  }
  if (state.pending.length === 0) {
    await saveIfChanged();
    return { kind: 'done' };
  }
  const channel = user.messagesAllowed
    ? 'chat'
    : user.notificationsAllowed && user.notificationTypes.ticketUpdates
      ? 'notification'
      : null;
  if (!channel) {
    await save(dropped(state)); // "My tickets" shows them
    return { kind: 'done' };
  }
  const threads = await threadsOf(repositories, state.pending);
  const quietEnd = quietHoursEnd(
    user.quietHours ?? deps.defaultQuietHours,
    now,
    user.timezone ?? deps.timezone,
  );
  const live =
    channel === 'chat' &&
    [...threads.values()].some((thread) =>
      thread.some((message) => message.author === 'user' && now - message.createdAt < LIVE_CONVERSATION),
    );
  if (quietEnd !== null && !live) {
    if (state !== stored || state.waitUntil !== quietEnd) await save({ ...state, waitUntil: quietEnd });
    return { kind: 'wait', until: quietEnd };
  }
  if (channel === 'chat') {
    const inflight: InflightUpdates = {
      channel,
      updates: state.pending,
      sendKey: `ticket-updates:${userId}:${state.pending[0]?.key}`,
      slot: null,
      at: now,
    };
    await save({ ...state, pending: [], inflight, waitUntil: null });
    return contentStep(language, inflight, threads);
  }
  const notification = notificationOf(language, state.pending, threads);
  if (!notification) {
    await save(dropped(state)); // nothing left to say (an erased reply)
    return { kind: 'done' };
  }
  const verdict = await claimNotificationSlot(
    repositories.notifications,
    { userId, kind: 'ticket_update', campaign: null, variant: null, text: notification.text, createdAt: now },
    { kind: 'ticket_update' },
    { alternatives: notification.alternatives },
  );
  if ('refused' in verdict) {
    const until = capFreesAt(
      verdict.latest,
      verdict.refused === 'hourly_limit' ? 'hourly_limit' : 'daily_cap',
      now,
    );
    if (state !== stored || state.waitUntil !== until) await save({ ...state, waitUntil: until });
    return { kind: 'wait', until };
  }
  const day = utcDay(now);
  const inflight: InflightUpdates = {
    channel,
    updates: state.pending,
    sendKey: notificationSendKey(userId, day, verdict.slot),
    slot: { day, slot: verdict.slot },
    at: now,
  };
  await save({ ...state, pending: [], inflight, waitUntil: null });
  return { kind: 'notification', inflight, text: verdict.text, fragment: notification.fragment };
}

function contentStep(
  language: Language,
  inflight: InflightUpdates,
  threads: ReadonlyMap<string, readonly TicketMessageRecord[]>,
): Step {
  if (inflight.channel === 'chat') {
    const message = chatMessageOf(language, inflight.updates, threads);
    return message ? { kind: 'chat', inflight, ...message } : { kind: 'done' };
  }
  const notification = notificationOf(language, inflight.updates, threads);
  if (!notification) return { kind: 'done' };
  // Repeated under the same send key: VK answers a repeat as the first call, whichever wording it has.
  return { kind: 'notification', inflight, text: notification.text, fragment: notification.fragment };
}

async function send(
  deps: UserUpdateDependencies,
  userId: number,
  step: Extract<Step, { kind: 'chat' | 'notification' }>,
): Promise<'sent' | 'recipient_unavailable' | 'limited'> {
  if (step.kind === 'chat') {
    try {
      await deps.groupVk.sendMessage({
        peerId: userId,
        messageKey: step.inflight.sendKey,
        text: step.text,
        ...(step.attachments.length ? { attachment: step.attachments.join(',') } : {}),
      });
      deps.logger.debug('ticket updates sent', {
        userId,
        updates: step.inflight.updates.length,
        channel: 'chat',
      });
      return 'sent';
    } catch (error) {
      // The user no longer accepts messages: remembered, and the updates go as a notification.
      if (error instanceof VkRecipientUnavailableError) return 'recipient_unavailable';
      throw error;
    }
  }
  const slot = step.inflight.slot;
  if (!slot) throw new Error('a notification in flight without its slot');
  const status = await deps.appNotifications.sendClaimed(
    { userId, ...slot },
    { text: step.text, fragment: step.fragment },
  );
  deps.logger.debug('ticket updates sent', { userId, updates: step.inflight.updates.length, status });
  return status === 'hourly_limit' || status === 'daily_limit' ? 'limited' : 'sent';
}

/** The threads of the tickets the updates are about, for the replies' words and the user's last message. */
async function threadsOf(
  repositories: Repositories,
  updates: readonly PendingUpdate[],
): Promise<Map<string, TicketMessageRecord[]>> {
  const threads = new Map<string, TicketMessageRecord[]>();
  for (const ticketId of new Set(updates.map((update) => update.ticketId)))
    threads.set(ticketId, await repositories.tickets.listMessages(ticketId));
  return threads;
}

async function readState(repositories: Repositories, userId: number, now: number): Promise<UserUpdateState> {
  const claim = await repositories.claims.get(userUpdatesKey(userId), now);
  return parseUpdateState(claim?.value);
}

async function writeState(
  repositories: Repositories,
  userId: number,
  state: UserUpdateState,
  now: number,
): Promise<void> {
  await repositories.claims.put({
    key: userUpdatesKey(userId),
    value: { ...state, userId },
    createdAt: now,
    expiresAt: now + STATE_TTL,
  });
}
