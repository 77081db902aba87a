import type { TicketRecord, TicketStatus } from '../../storage/port';
import { findCategory } from '../../support/settings';
import { openStatuses, statusEmoji } from '../../tickets/lifecycle';
import { slaOf } from '../../tickets/sla';
import type { Turn } from '../turn';
import { cardRecordOf, operatorLabel } from './card';
import { type OperatorsArea, showOnCard } from './context';
import { OPERATORS_LANGUAGE, opsText } from './voice';

const QUEUE_PAGE = 100;
const QUEUE_SHOWN = 10;

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

  async queue(turn: Turn): Promise<string> {
    const { voice } = this.#area;
    const byStatus = new Map<TicketStatus, TicketRecord[]>();
    for (const status of openStatuses) {
      const page = await turn.repositories.tickets.listByStatus(status, { limit: QUEUE_PAGE });
      byStatus.set(status, page.tickets);
    }
    const count = (status: TicketStatus) => {
      const length = byStatus.get(status)?.length ?? 0;
      return length >= QUEUE_PAGE ? `${QUEUE_PAGE}+` : String(length);
    };
    // Oldest first within each status: the longest wait is the first to take.
    const shown = openStatuses
      .flatMap((status) => [...(byStatus.get(status) ?? [])].reverse())
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
}
