import type { Flow } from './context';
import type { MenuFlow } from './menu';

/** The language button: Russian or English, stored on the user. */
export class LanguageFlow implements Flow {
  constructor(private readonly menu: MenuFlow) {}

  readonly presses: Flow['presses'] = {
    lang: (dialog) => {
      dialog.reset('choosing_language');
      dialog.say(dialog.text('bot.language.choose'), [
        [
          { label: 'Русский', payload: { c: 'setlang', l: 'ru' }, color: 'primary' },
          { label: 'English', payload: { c: 'setlang', l: 'en' }, color: 'primary' },
        ],
      ]);
      return 'choosing_language';
    },
    setlang: async (dialog, payload) => {
      dialog.user = { ...dialog.user, language: payload.l, updatedAt: dialog.turn.now };
      await dialog.turn.repositories.users.put(dialog.user);
      this.menu.menu(dialog, 'bot.language.set');
      return 'language_set';
    },
  };
}
