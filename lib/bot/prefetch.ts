import { type Clock, HOUR, MINUTE } from '../clock';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import type { Store } from '../storage/port';
import type { VkClient } from '../vk/client';
import type { Facts } from './conversation';
import type { BotUpdate } from './updates';

/** Membership changes rarely; a minute's staleness is the price of not asking VK on every command. */
const MEMBERS_TTL = MINUTE;
const NAME_TTL = HOUR;

/**
 * What an update needs from VK, fetched before its transaction (VK is never called inside one):
 * the user's first name when the store has none (`users.get`, then kept on the user's record), whether
 * a joining user allows messages, and for the operators' chat the sender's membership and name
 * (cached per instance). A failed lookup degrades: no name (templates fall back), not a member.
 */
export class FactsFetcher {
  readonly #members = new Map<number, { ids: ReadonlySet<number>; at: number }>();
  readonly #names = new Map<number, { name: string | null; at: number }>();

  constructor(readonly deps: { vk: VkClient; clock: Clock; logger: Logger; groupId: number }) {}

  /** `store` is the invocation's (a function opens one per call); the caches outlive it. */
  async fetch(update: BotUpdate, store: Store): Promise<Facts> {
    const facts: Facts = { firstName: null, messagesAllowed: null, operator: null };
    switch (update.kind) {
      case 'message':
      case 'press':
      case 'join':
      case 'leave': {
        const user = await store.read((repositories) => repositories.users.get(update.userId));
        if (!user?.firstName) facts.firstName = await this.#name(update.userId, user?.language ?? 'ru');
        if (update.kind === 'join' && (user?.messagesAllowed ?? null) === null) {
          facts.messagesAllowed = await this.deps.vk
            .isMessagesFromGroupAllowed(this.deps.groupId, update.userId)
            .catch((error: unknown) => {
              this.deps.logger.warn('messages permission lookup failed', { error: describeError(error) });
              return null;
            });
        }
        return facts;
      }
      case 'chat_message':
      case 'chat_press': {
        const operatorId = update.kind === 'chat_message' ? update.fromId : update.userId;
        const members = await this.#membersOf(update.peerId);
        const member = members.has(operatorId);
        facts.operator = { member, name: member ? await this.#name(operatorId, 'ru') : null };
        return facts;
      }
      default:
        return facts;
    }
  }

  async #membersOf(peerId: number): Promise<ReadonlySet<number>> {
    const now = this.deps.clock.now();
    const cached = this.#members.get(peerId);
    if (cached && now - cached.at < MEMBERS_TTL) return cached.ids;
    try {
      const ids = new Set(await this.deps.vk.getConversationMemberIds(peerId));
      this.#members.set(peerId, { ids, at: now });
      return ids;
    } catch (error) {
      // The community must be an admin of the chat to list it: refuse rather than guess.
      this.deps.logger.error('operators chat members lookup failed', { error: describeError(error) });
      return new Set();
    }
  }

  async #name(userId: number, language: 'ru' | 'en'): Promise<string | null> {
    const now = this.deps.clock.now();
    const cached = this.#names.get(userId);
    if (cached && now - cached.at < NAME_TTL) return cached.name;
    try {
      const [profile] = await this.deps.vk.getUsers([userId], language);
      const name = profile?.first_name?.trim() || null;
      this.#names.set(userId, { name, at: now });
      return name;
    } catch (error) {
      this.deps.logger.warn('users.get failed; going on without the name', { error: describeError(error) });
      return null;
    }
  }
}
