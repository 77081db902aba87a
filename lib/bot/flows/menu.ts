import type { TextKey } from '../../i18n/catalog';
import { statusEmoji } from '../../tickets/lifecycle';
import type { Dialog } from '../dialog';
import { greetingFor } from '../wording';
import { menuButtons } from './buttons';
import type { BotDependencies, Flow, Outcome } from './context';

/** The greeting, the main menu, "my tickets", and the answer to a button that fits no step. */
export class MenuFlow implements Flow {
  constructor(private readonly deps: BotDependencies) {}

  readonly presses: Flow['presses'] = {
    start: (dialog) => {
      this.welcome(dialog);
      return 'greeted';
    },
    menu: (dialog) => {
      this.menu(dialog);
      return 'menu';
    },
    cancel: (dialog) => {
      this.menu(dialog, 'bot.cancelled');
      return 'cancelled';
    },
    tickets: async (dialog) => {
      await this.#listTickets(dialog);
      return 'tickets_listed';
    },
  };

  welcome(dialog: Dialog): void {
    dialog.reset('idle');
    dialog.say(this.greeting(dialog, 'bot.welcome'), menuButtons(dialog));
  }

  greeting(dialog: Dialog, key: 'bot.welcome' | 'bot.welcome_with_answer'): string {
    const { support, hours } = this.deps.settings;
    return dialog.text(key, {
      greeting: greetingFor(dialog.turn.now, hours.timezone, dialog.language),
      first_name: dialog.user.firstName,
      community_name: support.communityName[dialog.language],
    });
  }

  menu(dialog: Dialog, key: TextKey = 'bot.menu'): void {
    dialog.reset('idle');
    dialog.say(dialog.text(key), menuButtons(dialog));
  }

  /** A press that fits no step of the dialog (an old keyboard): show the menu, change nothing else. */
  stale(dialog: Dialog, reason: string): Outcome {
    this.deps.logger.info('stale or unknown button', { reason });
    this.menu(dialog);
    return `stale:${reason}`;
  }

  async #listTickets(dialog: Dialog): Promise<void> {
    const page = await dialog.turn.repositories.tickets.listByUser(dialog.userId, { limit: 5 });
    dialog.reset('idle', { ticket: dialog.data.ticket });
    if (page.tickets.length === 0) {
      dialog.say(dialog.text('bot.tickets.none'), menuButtons(dialog));
      return;
    }
    const list = page.tickets
      .map((ticket) =>
        dialog.text('bot.tickets.item', {
          emoji: statusEmoji[ticket.status],
          number: ticket.number,
          status: dialog.text(`status.${ticket.status}`),
          subject: ticket.subject,
        }),
      )
      .join('\n');
    dialog.say(dialog.text('bot.tickets.list', { list }), menuButtons(dialog));
  }
}
