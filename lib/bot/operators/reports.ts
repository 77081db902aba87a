import type { TicketPage, TicketRecord, TicketStatus } from '../../storage/port';
import { findCategory } from '../../support/settings';
import { openStatuses, statusEmoji } from '../../tickets/lifecycle';
import { chatPeerIdOf, operatorsChatPeerIds } from '../../tickets/routing';
import { slaOf } from '../../tickets/sla';
import type { Turn } from '../turn';
import { cardRecordOf, operatorLabel } from './card';
import { type OperatorsArea, showOnCard } from './context';
import { OPERATORS_LANGUAGE, opsText } from './voice';

const QUEUE_PAGE = 100;
const QUEUE_SHOWN = 10;
/** Pages of a status `/queue` reads at most when the chat is one of several (then counted as "N+"). */
const QUEUE_PAGES_READ = 5;

/** What operators ask the chat about: `/status <number>` and `/queue`. Tickets stay as they are. */
export class ChatReports {
  readonly #area: OperatorsArea;

  constructor(area: OperatorsArea) {
    this.#area = area;
  }

  async status(turn: Turn, number: string): Promise<string> {
    const { voice, settings } = this.#area;
    const ticket = await turn.repositories.tickets.getByNumber(number);
    if (!ticket) return voice.say(turn, 'ops.not_found', { number });
    await showOnCard(turn, ticket);
    const category = findCategory(settings.support, ticket.category);
    const firstRespondedAt = slaOf(ticket)?.firstRespondedAt ?? null;
    return voice.say(
      turn,
      'ops.status',
      {
        emoji: category?.emoji ?? '',
        number: ticket.number,
        category: category?.label[OPERATORS_LANGUAGE] ?? ticket.category,
        status: opsText(`status.${ticket.status}`),
        assignee:
          ticket.assigneeId === null
            ? opsText('ops.nobody')
            : operatorLabel(cardRecordOf(ticket).names, ticket.assigneeId),
        created: voice.moment(turn, ticket.createdAt),
        first_response:
          firstRespondedAt === null ? opsText('ops.pending') : voice.moment(turn, firstRespondedAt),
      },
      'status_shown',
    );
  }

  /** The chat's open tickets by status (its own categories' only, when there are several chats). */
  async queue(turn: Turn): Promise<string> {
    const { voice } = this.#area;
    const byStatus = new Map<TicketStatus, { tickets: TicketRecord[]; more: boolean }>();
    for (const status of openStatuses) byStatus.set(status, await this.#chatTickets(turn, status));
    const count = (status: TicketStatus) => {
      const { tickets, more } = byStatus.get(status) ?? { tickets: [], more: false };
      return more ? `${tickets.length}+` : String(tickets.length);
    };
    // Oldest first within each status: the longest wait is the first to take.
    const shown = openStatuses
      .flatMap((status) => [...(byStatus.get(status)?.tickets ?? [])].reverse())
      .slice(0, QUEUE_SHOWN)
      .map((ticket) =>
        opsText('ops.queue.item', {
          emoji: statusEmoji[ticket.status],
          number: ticket.number,
          status: opsText(`status.${ticket.status}`),
          created: voice.moment(turn, ticket.createdAt),
        }),
      );
    return voice.say(
      turn,
      'ops.queue',
      {
        new: count('new'),
        in_progress: count('in_progress'),
        waiting: count('waiting_for_user'),
        list: shown.join('\n'),
      },
      'queue_shown',
    );
  }

  /**
   * Up to QUEUE_PAGE of the status's tickets that belong to this chat, newest first; `more` when
   * there may be others. With a single operators' chat every ticket is its own: one page. With
   * several, pages are read until QUEUE_PAGE of this chat's are found, at most QUEUE_PAGES_READ.
   */
  async #chatTickets(turn: Turn, status: TicketStatus): Promise<{ tickets: TicketRecord[]; more: boolean }> {
    const { voice, settings } = this.#area;
    const several = operatorsChatPeerIds(settings.chats).size > 1;
    const tickets: TicketRecord[] = [];
    let before: TicketPage['nextCursor'] = null;
    for (let read = 0; read < (several ? QUEUE_PAGES_READ : 1); read++) {
      const page: TicketPage = await turn.repositories.tickets.listByStatus(status, {
        limit: QUEUE_PAGE,
        ...(before ? { before } : {}),
      });
      for (const ticket of page.tickets) {
        const chat = chatPeerIdOf(findCategory(settings.support, ticket.category), settings.chats);
        if (!several || chat === voice.peerId) tickets.push(ticket);
        if (tickets.length === QUEUE_PAGE) return { tickets, more: true };
      }
      before = page.nextCursor;
      if (!before) return { tickets, more: false };
    }
    return { tickets, more: true };
  }
}
