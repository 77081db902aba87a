import { render } from '../../i18n/catalog';
import type { UserRecord } from '../../storage/port';
import { newUserRecord } from '../../users/account';
import { clientOf } from '../dialog';
import { buildKeyboard } from '../keyboard';
import type { Turn } from '../turn';
import type { BotUpdate } from '../updates';
import { greetingFor } from '../wording';
import { botEvent } from './buttons';
import type { BotDependencies, Facts, Flow, Outcome } from './context';

/** Joins and leaves of the community, the reason for a leave, and the permission to write. */
export class MembershipFlow implements Flow {
  constructor(private readonly deps: BotDependencies) {}

  readonly presses: Flow['presses'] = {
    leave: async (dialog, payload) => {
      await dialog.turn.repositories.events.append([
        botEvent(dialog.userId, `leave_reason:${dialog.turn.key}`, 'group_leave_reason', dialog.turn.now, {
          reason: payload.r,
        }),
      ]);
      dialog.reset('idle');
      dialog.say(dialog.text('bot.leave.thanks'));
      return 'leave_reason_recorded';
    },
  };

  async permission(update: Extract<BotUpdate, { kind: 'allow' | 'deny' }>, turn: Turn): Promise<Outcome> {
    const user = await upsertUser(turn, update.userId, { messagesAllowed: update.kind === 'allow' });
    if (update.kind === 'allow' && update.key) {
      // The mini app passes a key to VKWebAppAllowMessagesFromGroup: it says where the permission came from.
      await turn.repositories.events.append([
        botEvent(user.userId, `message_allow:${turn.key}`, 'messages_allowed', turn.now, {
          source: update.key,
        }),
      ]);
    }
    return update.kind;
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

  async left(userId: number, turn: Turn, facts: Facts): Promise<Outcome> {
    const user = await upsertUser(turn, userId, facts.firstName ? { firstName: facts.firstName } : {});
    await turn.repositories.events.append([
      botEvent(userId, `group_leave:${turn.key}`, 'group_leave', turn.now, {}),
    ]);
    if (user.messagesAllowed !== true) return 'left_silently';
    const language = user.language ?? 'ru';
    const record = await turn.repositories.dialogs.get(userId);
    const client = clientOf(record);
    const keyboard = buildKeyboard(
      [
        [
          { label: render(language, 'leave.boring'), payload: { c: 'leave', r: 'boring' } },
          { label: render(language, 'leave.too_many_posts'), payload: { c: 'leave', r: 'too_many_posts' } },
        ],
        [
          { label: render(language, 'leave.not_relevant'), payload: { c: 'leave', r: 'not_relevant' } },
          { label: render(language, 'leave.other'), payload: { c: 'leave', r: 'other' } },
        ],
      ],
      client,
    );
    turn.send({
      peerId: userId,
      text: render(language, 'bot.leave.regret'),
      ...(keyboard ? { keyboard } : {}),
    });
    return 'regret_sent';
  }
}

export async function upsertUser(
  turn: Turn,
  userId: number,
  changes: Partial<UserRecord>,
): Promise<UserRecord> {
  const existing = (await turn.repositories.users.get(userId)) ?? newUserRecord(userId, turn.now);
  const user = { ...existing, ...changes, updatedAt: turn.now };
  await turn.repositories.users.put(user);
  return user;
}
