import { render } from '../../i18n/catalog';
import { type CompiledTemplate, compileTemplate, renderTemplate, TemplateError } from '../../i18n/template';
import type { Language, TicketRecord, UserRecord } from '../../storage/port';
import { templateVariables } from '../../support/settings';
import type { Turn } from '../turn';
import { greetingFor } from '../wording';
import { type Operator, type OperatorsArea, sayRefusal, showOnCard } from './context';
import { OPERATORS_LANGUAGE } from './voice';

/**
 * Operators answering users from the chat: a reply to a card (or to a relayed message) goes to the
 * user, `/t <template>` in such a reply sends a template, the template button lists them. Each answer
 * is recorded on the ticket (first response, audit) and sent in the user's language.
 */
export class OperatorAnswers {
  readonly #area: OperatorsArea;
  readonly #templates: Map<string, Record<Language, CompiledTemplate>>;

  constructor(area: OperatorsArea) {
    this.#area = area;
    this.#templates = new Map(
      area.settings.support.operatorTemplates.map((template) => [
        template.id,
        {
          ru: compileTemplate(template.text.ru, templateVariables, `template ${template.id}`),
          en: compileTemplate(template.text.en, templateVariables, `template ${template.id}`),
        },
      ]),
    );
  }

  relay(turn: Turn, number: string, text: string, operator: Operator): Promise<string> {
    return this.#answerUser(turn, number, operator, 'relayed', ({ language }) =>
      render(language, 'bot.relay', { text, operator_name: operator.name }),
    );
  }

  async sendTemplate(turn: Turn, number: string, templateId: string, operator: Operator): Promise<string> {
    const { voice, settings } = this.#area;
    const template = this.#templates.get(templateId);
    if (!template) {
      return voice.say(turn, 'ops.template.unknown', {
        name: templateId || '—',
        list: [...this.#templates.keys()].join(', '),
      });
    }
    return this.#answerUser(
      turn,
      number,
      operator,
      'template_sent',
      ({ ticket, user, language }) =>
        renderTemplate(
          template[language],
          {
            first_name: user?.firstName,
            operator_name: operator.name,
            community_name: settings.support.communityName[language],
            greeting: greetingFor(turn.now, settings.hours.timezone, language),
            ticket_number: ticket.number,
          },
          `template ${templateId}`,
        ),
      templateId,
    );
  }

  listTemplates(turn: Turn, number: string): string {
    const list = this.#area.settings.support.operatorTemplates
      .map((template) => `• ${template.id} — ${template.title[OPERATORS_LANGUAGE]}`)
      .join('\n');
    return this.#area.voice.say(turn, 'ops.templates', { number, list }, 'templates_listed');
  }

  /**
   * An operator's answer from the chat: recorded on the ticket (first response, audit) and sent to
   * the user in their language. A template that can't be filled is explained to the operator instead.
   */
  async #answerUser(
    turn: Turn,
    number: string,
    operator: Operator,
    outcome: string,
    compose: (context: { ticket: TicketRecord; user: UserRecord | null; language: Language }) => string,
    templateId?: string,
  ): Promise<string> {
    const { voice, tickets } = this.#area;
    const ticket = await turn.repositories.tickets.getByNumber(number);
    if (!ticket || ticket.userId === null) return voice.say(turn, 'ops.not_found', { number });
    const user = await turn.repositories.users.get(ticket.userId);
    let text: string;
    try {
      text = compose({ ticket, user, language: user?.language ?? 'ru' });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      // Never a blank in front of a user: the operator hears what is missing instead.
      return voice.say(turn, 'ops.template.missing', {
        number,
        name: templateId ?? '—',
        variable: /needs \{([^}|]+)\}/.exec(error.message)?.[1],
      });
    }
    let answered: TicketRecord;
    try {
      ({ ticket: answered } = await tickets.operatorMessage(
        number,
        { text, attachments: [], internal: false, deliveredInChat: true },
        operator,
        turn.scope,
      ));
    } catch (error) {
      return (await sayRefusal(this.#area, turn, number, error)).outcome;
    }
    turn.send({ peerId: ticket.userId, text });
    // An answer takes a new ticket into work, with the answering operator: the card shows it.
    await showOnCard(turn, answered, operator);
    await this.#noteOperatorInDialog(turn, ticket.userId, number);
    return outcome;
  }

  /** The operator relayed or templated: the bot leaves the user's answers to them, sending no receipts. */
  async #noteOperatorInDialog(turn: Turn, userId: number, number: string): Promise<void> {
    const dialog = await turn.repositories.dialogs.get(userId);
    await turn.repositories.dialogs.put({
      peerId: userId,
      userId,
      state: 'with_operator',
      data: { ...(dialog?.data ?? {}), ticket: number, lastOperatorAt: turn.now },
      operatorSilentUntil: dialog?.operatorSilentUntil ?? null,
      updatedAt: turn.now,
    });
  }
}
