import { MINUTE } from '../../clock';
import { render, type TextKey } from '../../i18n/catalog';
import type { Logger } from '../../log/logger';
import type { JobHandler } from '../../queue/jobs';
import type { DialogRecord, Store, UserRecord } from '../../storage/port';
import { indexRequesterName } from '../../tickets/search-index';
import { newUserRecord } from '../../users/account';
import { Dialog } from '../dialog';
import type { Button } from '../keyboard';
import type { leaveReasons } from '../payload';
import type { Turn } from '../turn';
import type { BotUpdate } from '../updates';
import { greetingFor } from '../wording';
import { botEvent } from './buttons';
import type { BotDependencies, Facts, Flow, Outcome } from './context';

/** The deferred job that stores a leave's reason once the user has settled on it. */
export const LEAVE_REASON_JOB = 'leave-reason';
/** A leave's reason may change this long after the first answer; the last one is stored. */
const LEAVE_REASON_SETTLES = 10 * MINUTE;
const LEAVE_TEXT = { min: 2, max: 1000 } as const;

type LeaveReason = (typeof leaveReasons)[number];

/**
 * Joins and leaves of the community, the reason for a leave, and the permission to write. A user
 * an admin removed hears nothing; a user who left is asked why once, "Другое" asks in words, and
 * each leave keeps one reason: the last given within ten minutes of the first.
 */
export class MembershipFlow implements Flow {
  constructor(private readonly deps: BotDependencies) {}

  readonly presses: Flow['presses'] = {
    leave: async (dialog, payload) => {
      const leave = dialog.data.leave;
      if (!leave) {
        // An old keyboard, or the reason is stored already.
        dialog.say(dialog.text('bot.leave.already'));
        return 'leave_reason_already';
      }
      if (payload.r === 'other') {
        dialog.reset('leave_reason', { leave });
        dialog.say(dialog.text('bot.leave.other'));
        return 'leave_reason_asked';
      }
      return this.#recordReason(dialog, leave, payload.r, null);
    },
  };

  readonly typing: Flow['typing'] = {
    leave_reason: async (dialog, { text }) => {
      const leave = dialog.data.leave;
      const words = text.trim();
      if (!leave || words.length < LEAVE_TEXT.min) return null;
      return this.#recordReason(dialog, leave, 'other', words.slice(0, LEAVE_TEXT.max));
    },
  };

  async permission(update: Extract<BotUpdate, { kind: 'allow' | 'deny' }>, turn: Turn): Promise<Outcome> {
    const before = await turn.repositories.users.get(update.userId);
    const user = await upsertUser(turn, update.userId, { messagesAllowed: update.kind === 'allow' });
    if (update.kind === 'deny') {
      // Denied: no subscription list may reach them any more (a new allow subscribes again).
      await turn.repositories.messageSubscriptions.deleteByUser(update.userId);
      return 'deny';
    }
    if (update.key) {
      // Subscribed through this key: broadcasts with `{key}` reach them (Senler's subscription lists).
      await turn.repositories.messageSubscriptions.put({
        key: update.key,
        userId: user.userId,
        at: turn.now,
      });
      // The mini app passes a key to VKWebAppAllowMessagesFromGroup: it says where the permission came from.
      await turn.repositories.events.append([
        botEvent(user.userId, `message_allow:${turn.key}`, 'messages_allowed', turn.now, {
          source: update.key,
        }),
      ]);
    }
    // One welcome when the permission is new: VK also sends message_allow to a user who allowed before.
    if (before?.messagesAllowed === true) return 'allow';
    const language = user.language ?? 'ru';
    const subscription = update.key
      ? this.deps.settings.support.subscriptions[update.key]?.[language]
      : undefined;
    turn.send({
      peerId: user.userId,
      text: subscription
        ? render(language, 'bot.allow.welcome', { subscription })
        : render(language, 'bot.allow.welcome_plain'),
    });
    return 'allow_welcomed';
  }

  async joined(userId: number, turn: Turn, facts: Facts): Promise<Outcome> {
    const user = await upsertUser(turn, userId, {
      ...(facts.messagesAllowed !== null ? { messagesAllowed: facts.messagesAllowed } : {}),
      ...(facts.firstName ? { firstName: facts.firstName } : {}),
    });
    await turn.repositories.events.append([
      botEvent(userId, `group_join:${turn.key}`, 'group_join', turn.now, {}),
    ]);
    if (user.messagesAllowed !== true) return 'joined_silently';
    const language = user.language ?? 'ru';
    const { hours, support } = this.deps.settings;
    turn.send({
      peerId: userId,
      text: render(language, 'bot.join.welcome', {
        greeting: greetingFor(turn.now, hours.timezone, language),
        first_name: user.firstName,
        community_name: support.communityName[language],
      }),
    });
    return 'welcomed';
  }

  async left(update: Extract<BotUpdate, { kind: 'leave' }>, turn: Turn, facts: Facts): Promise<Outcome> {
    const { userId } = update;
    const user = await upsertUser(turn, userId, facts.firstName ? { firstName: facts.firstName } : {});
    await turn.repositories.events.append([
      botEvent(userId, `group_leave:${turn.key}`, 'group_leave', turn.now, {
        by: update.self ? 'user' : 'admin',
      }),
    ]);
    // Removed by an admin: no regret and no question, they didn't choose to go.
    if (!update.self) return 'removed_by_admin';
    if (user.messagesAllowed !== true) return 'left_silently';
    const record = await turn.repositories.dialogs.get(userId);
    const dialog = new Dialog(turn, user, record ?? emptyDialog(userId, turn.now), record === null);
    const t = (key: TextKey) => dialog.text(key);
    const reason = (r: LeaveReason): Button => ({ label: t(`leave.${r}`), payload: { c: 'leave', r } });
    dialog.reset('idle', { leave: turn.key.slice(0, 128) });
    dialog.say(t('bot.leave.regret'), [
      [reason('boring'), reason('too_many_posts')],
      [reason('not_relevant'), reason('other')],
    ]);
    await dialog.save();
    return 'regret_sent';
  }

  /**
   * The reason (the last one wins): held in a pending job, stored as the leave's one
   * `group_leave_reason` event when the job runs.
   */
  async #recordReason(
    dialog: Dialog,
    leave: string,
    reason: LeaveReason,
    text: string | null,
  ): Promise<Outcome> {
    const { repositories, now, outbox } = dialog.turn;
    const jobId = leaveReasonJobId(dialog.userId, leave);
    const payload = { userId: dialog.userId, leave, reason, ...(text ? { text } : {}) };
    const pending = await repositories.jobs.get(jobId);
    if (pending && pending.status !== 'pending') {
      dialog.reset('idle', { leave: undefined });
      dialog.say(dialog.text('bot.leave.already'));
      return 'leave_reason_already';
    }
    if (pending) await repositories.jobs.update({ ...pending, payload, updatedAt: now });
    else outbox.jobs.push({ jobId, kind: LEAVE_REASON_JOB, payload, dueAt: now + LEAVE_REASON_SETTLES });
    dialog.reset('idle', { leave });
    dialog.say(dialog.text('bot.leave.thanks'));
    return 'leave_reason_recorded';
  }
}

export function leaveReasonJobId(userId: number, leave: string): string {
  return `leave-reason:${userId}:${leave}`.slice(0, 200);
}

/** Stores a leave's settled reason as its one `group_leave_reason` event (idempotent by the leave). */
export function leaveReasonJobHandlers(deps: { store: Store; logger: Logger }): Record<string, JobHandler> {
  return {
    [LEAVE_REASON_JOB]: async (job) => {
      const { userId, leave, reason, text } = job.payload as {
        userId: number;
        leave: string;
        reason: string;
        text?: string;
      };
      await deps.store.transaction(async (repositories) => {
        await repositories.events.append([
          botEvent(userId, `leave_reason:${leave}`, 'group_leave_reason', job.createdAt, {
            reason,
            ...(text ? { text } : {}),
          }),
        ]);
      });
      deps.logger.info('leave reason stored', { jobId: job.jobId, reason });
    },
  };
}

function emptyDialog(userId: number, now: number): DialogRecord {
  return { peerId: userId, userId, state: 'idle', data: {}, operatorSilentUntil: null, updatedAt: now };
}

export async function upsertUser(
  turn: Turn,
  userId: number,
  changes: Partial<UserRecord>,
): Promise<UserRecord> {
  const existing = (await turn.repositories.users.get(userId)) ?? newUserRecord(userId, turn.now);
  const user = { ...existing, ...changes, updatedAt: turn.now };
  await turn.repositories.users.put(user);
  // A name learned now makes the user's earlier tickets findable by it in the operators' search.
  if (changes.firstName !== undefined && changes.firstName !== existing.firstName)
    await indexRequesterName(turn.repositories, userId, user.firstName);
  return user;
}
