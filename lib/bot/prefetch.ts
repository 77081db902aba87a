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
/** `users.get` takes up to 1000 ids a call. */
const NAMES_PER_CALL = 1000;
/**
 * How long a turn waits for a user's name before it goes on without it (the greeting falls back).
 * Names are asked for together (one `users.get` for every lookup waiting for the token's turn), and a
 * lookup that outlives the budget still fills the cache for the user's next message.
 */
export const NAME_LOOKUP_BUDGET_MS = 250;

/**
 * What an update needs from VK, fetched before its transaction (VK is never called inside one):
 * the user's first name when the store has none (`users.get`, then kept on the user's record), whether
 * a joining user allows messages, and for the operators' chat the sender's membership and name
 * (cached per instance). A failed lookup degrades: no name (templates fall back), not a member.
 */
export class FactsFetcher {
  readonly #members = new Map<number, { ids: ReadonlySet<number>; at: number }>();
  readonly #names = new Map<number, { name: string | null; at: number }>();
  /** Lookups waiting for the next `users.get`, by language and user. */
  readonly #wanted = new Map<'ru' | 'en', Map<number, Array<(name: string | null) => void>>>();
  #pumping = false;

  constructor(
    readonly deps: { vk: VkClient; clock: Clock; logger: Logger; groupId: number; nameBudgetMs?: number },
  ) {}

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
      case 'chat_member':
        // The chat's members changed: this instance asks VK again on the chat's next update.
        this.#members.delete(update.peerId);
        return facts;
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
    const looked = new Promise<string | null>((resolve) => {
      const byUser = this.#wanted.get(language) ?? new Map<number, Array<(name: string | null) => void>>();
      this.#wanted.set(language, byUser);
      byUser.set(userId, [...(byUser.get(userId) ?? []), resolve]);
    });
    if (!this.#pumping) setImmediate(() => void this.#pump());
    const budget = this.deps.nameBudgetMs ?? NAME_LOOKUP_BUDGET_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), budget);
    });
    try {
      return await Promise.race([looked, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One `users.get` per turn of the token for every name waiting (of one language, up to 1000). */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const language = [...this.#wanted.keys()][0];
        if (!language) return;
        await this.deps.vk.takeTurn().catch(() => {});
        const byUser = this.#wanted.get(language) ?? new Map();
        const ids = [...byUser.keys()].slice(0, NAMES_PER_CALL);
        const waiting = ids.map((id) => [id, byUser.get(id) ?? []] as const);
        for (const id of ids) byUser.delete(id);
        if (byUser.size === 0) this.#wanted.delete(language);
        const names = new Map<number, string | null>();
        try {
          const profiles = await this.deps.vk.getUsers(ids, language, { turnTaken: true });
          for (const profile of profiles) names.set(profile.id, profile.first_name?.trim() || null);
          const at = this.deps.clock.now();
          for (const id of ids) this.#names.set(id, { name: names.get(id) ?? null, at });
        } catch (error) {
          this.deps.logger.warn('users.get failed; going on without the names', {
            users: ids.length,
            error: describeError(error),
          });
        }
        for (const [id, resolvers] of waiting)
          for (const resolve of resolvers) resolve(names.get(id) ?? null);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
