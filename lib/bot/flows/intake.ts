import { findCategory } from '../../support/settings';
import { contactNotice } from '../../tickets/anonymise';
import { parseContact } from '../contact';
import type { Dialog } from '../dialog';
import { intents } from '../intents';
import type { Button } from '../keyboard';
import { cancelButton } from './buttons';
import type { BotDependencies, Flow, Outcome } from './context';
import type { HandoverFlow } from './handover';
import type { MenuFlow } from './menu';

const DESCRIPTION = { min: 5, max: 4000 } as const;

/** A ticket from the chat: category → description (photos kept) → e-mail or phone → confirm. */
export class TicketIntakeFlow implements Flow {
  constructor(
    private readonly deps: BotDependencies,
    private readonly menu: MenuFlow,
    private readonly handover: HandoverFlow,
  ) {}

  readonly presses: Flow['presses'] = {
    cat: (dialog, payload) => {
      const category = findCategory(this.deps.settings.support, payload.id);
      if (!category) return this.menu.stale(dialog, 'unknown_category');
      const mode = dialog.state === 'choosing_category' ? (dialog.data.mode ?? 'ticket') : 'ticket';
      dialog.reset('describing', { mode, category: category.id });
      dialog.say(
        mode === 'handover'
          ? dialog.text('bot.describe.handover')
          : dialog.text('bot.describe', {
              emoji: category.emoji,
              category: category.label[dialog.language],
            }),
        [[cancelButton(dialog)]],
      );
      return 'describing';
    },
    skip: (dialog) => {
      if (dialog.state !== 'contact') return this.menu.stale(dialog, 'skip_out_of_step');
      this.#confirm(dialog);
      return 'confirming';
    },
    send: async (dialog) => {
      const { category, description } = dialog.data;
      if (dialog.state !== 'confirming' || !category || !description)
        return this.menu.stale(dialog, 'send_out_of_step');
      await this.handover.fileTicket(dialog, {
        category,
        description,
        photos: dialog.data.photos ?? [],
        contact: dialog.data.contact ?? null,
        ...(dialog.data.contactConsentAt ? { contactConsentAt: dialog.data.contactConsentAt } : {}),
      });
      return 'ticket_filed';
    },
  };

  readonly typing: Flow['typing'] = {
    describing: async (dialog, typed) => {
      const { photos } = typed;
      // A screenshot alone says what happened: it is the description.
      const text = typed.text.trim() || (photos.length > 0 ? dialog.text('bot.description.screenshot') : '');
      if (text.length < DESCRIPTION.min && photos.length === 0) {
        dialog.say(dialog.text('bot.describe.too_short'), [[cancelButton(dialog)]]);
        return 'description_too_short';
      }
      // "Пропустить" or "отправить" answers a later step's button, not what happened: asked again.
      const intent = photos.length === 0 ? intents.recognise(text) : null;
      if (intent === 'skip' || intent === 'send') {
        dialog.say(dialog.text('bot.describe.required'), [[cancelButton(dialog)]]);
        return 'description_required';
      }
      if (text.length > DESCRIPTION.max) {
        dialog.say(dialog.text('bot.describe.too_long', { max: DESCRIPTION.max }), [[cancelButton(dialog)]]);
        return 'description_too_long';
      }
      const category = dialog.data.category ?? 'question';
      if (dialog.data.mode === 'handover') {
        await this.handover.fileTicket(dialog, { category, description: text, photos, contact: null });
        return 'handed_over';
      }
      dialog.state = 'contact';
      dialog.data = { ...dialog.data, description: text, photos };
      dialog.say(this.#contactQuestion(dialog), this.#contactButtons(dialog));
      return 'asking_contact';
    },
    contact: async (dialog, { text }) => {
      const contact = parseContact(text);
      if (!contact) {
        // Re-asked with an example; the invalid value is not kept anywhere.
        dialog.say(dialog.text('bot.contact.invalid'), this.#contactButtons(dialog));
        return 'contact_invalid';
      }
      // Given after the notice (why, how long, by whom it is kept): that is the consent, and when.
      dialog.data = { ...dialog.data, contact: contact.value, contactConsentAt: dialog.turn.now };
      this.#confirm(dialog);
      return 'confirming';
    },
    confirming: async (dialog) => {
      this.#confirm(dialog);
      return 'confirming';
    },
  };

  /** "Оператор" typed while describing: the description then goes straight to a person. */
  toOperator(dialog: Dialog): Outcome {
    dialog.data.mode = 'handover';
    dialog.say(dialog.text('bot.describe.handover'), [[cancelButton(dialog)]]);
    return 'describing';
  }

  #confirm(dialog: Dialog): void {
    const category = findCategory(this.deps.settings.support, dialog.data.category ?? '');
    if (!category || !dialog.data.description) {
      this.menu.menu(dialog);
      return;
    }
    dialog.state = 'confirming';
    const photos = dialog.data.photos ?? [];
    dialog.say(
      dialog
        .text('bot.confirm', {
          emoji: category.emoji,
          category: category.label[dialog.language],
          description: dialog.data.description,
          attachments:
            photos.length > 0 ? dialog.text('bot.confirm.attachments', { count: photos.length }) : '',
          contact: dialog.data.contact
            ? dialog.text('bot.confirm.contact', { contact: dialog.data.contact })
            : '',
        })
        .replace(/\n{3,}/g, '\n\n'),
      [
        [
          { label: dialog.text('button.send'), payload: { c: 'send' }, color: 'positive' },
          { label: dialog.text('button.cancel'), payload: { c: 'cancel' }, color: 'negative' },
        ],
      ],
    );
  }

  /** The question with the notice FZ-152 asks for where personal data is collected. */
  #contactQuestion(dialog: Dialog): string {
    const notice = contactNotice(dialog.language, this.deps.tickets.settings.personalDataRetentionMs);
    return `${dialog.text('bot.contact.ask')}\n\n${notice}`;
  }

  #contactButtons(dialog: Dialog): Button[][] {
    return [[{ label: dialog.text('button.skip'), payload: { c: 'skip' } }, cancelButton(dialog)]];
  }
}
