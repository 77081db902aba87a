import type { TextKey } from '../../i18n/catalog';
import type { SupportSettings } from '../../support/settings';
import type { Dialog } from '../dialog';
import type { Button } from '../keyboard';

/** Buttons more than one flow shows. */

export function menuButtons(dialog: Dialog): Button[][] {
  const t = (key: TextKey) => dialog.text(key);
  return [
    [
      { label: t('menu.bug'), payload: { c: 'cat', id: 'bug' }, color: 'primary' },
      { label: t('menu.question'), payload: { c: 'ask' }, color: 'primary' },
    ],
    [
      { label: t('menu.suggestion'), payload: { c: 'cat', id: 'suggestion' }, color: 'primary' },
      { label: t('menu.tickets'), payload: { c: 'tickets' } },
    ],
    [
      { label: t('menu.faq'), payload: { c: 'faq' } },
      { label: t('menu.operator'), payload: { c: 'operator' } },
    ],
    [{ label: t('menu.language'), payload: { c: 'lang' } }],
  ];
}

export function cancelButton(dialog: Dialog): Button {
  return { label: dialog.text('button.cancel'), payload: { c: 'cancel' }, color: 'negative' };
}

/** An analytics event a flow records: a join, a leave and its reason, a helpful article. */
export function botEvent(
  userId: number,
  eventId: string,
  name: string,
  at: number,
  props: Record<string, string>,
) {
  return { userId, eventId: eventId.slice(0, 128), name, occurredAt: at, screen: null, props };
}

/** The support categories, two to a row, and "cancel". */
export function categoryButtons(dialog: Dialog, support: SupportSettings): Button[][] {
  const buttons: Button[] = support.categories.map((category) => ({
    label: `${category.emoji} ${category.label[dialog.language]}`,
    payload: { c: 'cat', id: category.id },
    color: 'primary',
  }));
  const rows: Button[][] = [];
  for (let index = 0; index < buttons.length; index += 2) rows.push(buttons.slice(index, index + 2));
  rows.push([cancelButton(dialog)]);
  return rows;
}
