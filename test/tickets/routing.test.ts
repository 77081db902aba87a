import { loadConfig } from '../../lib/config/schema';
import type { OperatorShiftRecord } from '../../lib/storage/port';
import {
  priorityContentSchema,
  priorityContentSettings,
  supportSettings,
  supportSettingsSchema,
} from '../../lib/support/settings';
import { operatorsChatsFrom } from '../../lib/tickets/compose';
import {
  chatPeerIdOf,
  compileUrgentPhrases,
  DEFAULT_SHIFT_MS,
  escalationPeerId,
  mentionsUrgentPhrase,
  nextOnShift,
  type OperatorsChats,
  operatorsChatPeerIds,
  priorityFor,
} from '../../lib/tickets/routing';

/** Routing as pure functions: category → chat, words → priority, shifts → the next operator. */

const shipped = compileUrgentPhrases(priorityContentSettings);
const chats: OperatorsChats = {
  defaultPeerId: 2_000_000_001,
  byKey: { payments: 2_000_000_002 },
  leadPeerId: 2_000_000_009,
  shiftMs: DEFAULT_SHIFT_MS,
};

describe('which chat gets a category', () => {
  it("sends a category to its own chat, and one without a chat or with a key the environment doesn't map to the default one", () => {
    expect(chatPeerIdOf({ chat: 'payments' }, chats)).toBe(2_000_000_002);
    expect(chatPeerIdOf({}, chats)).toBe(2_000_000_001);
    expect(chatPeerIdOf({ chat: 'refunds' }, chats)).toBe(2_000_000_001);
    expect(chatPeerIdOf(undefined, chats)).toBe(2_000_000_001);
    expect(chatPeerIdOf({ chat: 'payments' }, { ...chats, byKey: {}, defaultPeerId: undefined })).toBe(
      undefined,
    );
  });

  it('treats every mapped chat and the default one as operators’ chats; escalations go to the leads, else the default chat', () => {
    expect([...operatorsChatPeerIds(chats)].sort()).toEqual([2_000_000_001, 2_000_000_002]);
    expect(escalationPeerId(chats)).toBe(2_000_000_009);
    expect(escalationPeerId({ ...chats, leadPeerId: undefined })).toBe(2_000_000_001);
  });

  it('reads the chats from OPERATORS_CHATS, LEAD_CHAT_PEER_ID and OPERATOR_SHIFT_HOURS, and names a malformed list', () => {
    const { support } = loadConfig(
      {
        OPERATORS_CHAT_PEER_ID: '2000000001',
        OPERATORS_CHATS: 'payments=2000000002, vip=2000000003',
        LEAD_CHAT_PEER_ID: '2000000009',
        OPERATOR_SHIFT_HOURS: '8',
      },
      ['support'],
    );
    expect(operatorsChatsFrom(support)).toEqual({
      defaultPeerId: 2_000_000_001,
      byKey: { payments: 2_000_000_002, vip: 2_000_000_003 },
      leadPeerId: 2_000_000_009,
      shiftMs: 8 * 3_600_000,
    });
    const defaults = operatorsChatsFrom(loadConfig({}, ['support']).support);
    expect(defaults).toMatchObject({ byKey: {}, shiftMs: DEFAULT_SHIFT_MS });
    for (const hours of ['0', '169', 'x'])
      expect(() => loadConfig({ OPERATOR_SHIFT_HOURS: hours }, ['support'])).toThrow(/OPERATOR_SHIFT_HOURS/);
    for (const bad of [
      'payments',
      'payments=42',
      'payments=2000000002,payments=2000000003',
      'Pay=2000000002',
    ])
      expect(() => loadConfig({ OPERATORS_CHATS: bad }, ['support'])).toThrow(/OPERATORS_CHATS/);
  });

  it('validates the content: a chat key and a priority per category, phrases with words', () => {
    const payment = supportSettings.categories.find((category) => category.id === 'payment');
    expect(payment).toMatchObject({ chat: 'payments', priority: 'high' });
    expect(supportSettings.categories.find((category) => category.id === 'bug')?.priority).toBe('normal');
    const withPriority = (priority: string) => ({
      ...supportSettings,
      categories: [{ ...supportSettings.categories[0], priority }],
    });
    expect(supportSettingsSchema.safeParse(withPriority('asap')).success).toBe(false);
    expect(supportSettingsSchema.safeParse(withPriority('urgent')).success).toBe(true);
    expect(priorityContentSchema.safeParse({ urgentPhrases: { ru: ['!!!'], en: [] } }).success).toBe(false);
  });
});

describe('priority', () => {
  it('is urgent when the words say an urgent phrase, in any order, case or form', () => {
    for (const text of [
      'списали деньги',
      'Здравствуйте, деньги списали дважды, а подписки нет',
      'Списали Деньги!',
      'У меня списали все деньги с карты',
      'I was charged twice for the subscription',
      // Five words apart, in reverse order, within one sentence.
      'деньги у меня вчера со счёта списали',
      'Здравствуйте! Деньги у меня вчера со счёта списали, а доступа нет.',
      'И ещё у меня списали деньги дважды',
    ])
      expect([text, mentionsUrgentPhrase(text, shipped)]).toEqual([text, true]);
  });

  it('is not urgent for words of a phrase far apart or alone', () => {
    for (const text of [
      'Деньги',
      'Списали',
      'Деньги на счёте есть. Вчера вечером я долго пытался найти, где в приложении настройки, и мне списали',
      'Не работает вход через VK ID',
      // Within one sentence, but too far apart.
      'Деньги на карте лежат давно, а в приложении я искал настройки уведомлений и мне ничего не списали',
      'Деньги вернули, спасибо, а за прошлый месяц всё списали верно',
      // Next to each other, but in two sentences or lines.
      'Верните деньги.\nСписали за подписку, которую я отменил',
      'Списали? Деньги на месте, всё в порядке',
    ])
      expect([text, mentionsUrgentPhrase(text, shipped)]).toEqual([text, false]);
  });

  it("is the category's otherwise, urgent from the subject too, and never lowered", () => {
    const words = (subject: string, text: string) => ({ subject, text });
    expect(priorityFor({ priority: 'high' }, words('Оплата', 'Не проходит платёж'), shipped)).toBe('high');
    expect(priorityFor({ priority: 'low' }, words('Списали деньги', 'Идея: тёмная тема'), shipped)).toBe(
      'urgent',
    );
    expect(priorityFor({ priority: 'normal' }, words('Ошибка', 'Вылетает'), shipped)).toBe('normal');
    expect(priorityFor({ priority: 'urgent' }, words('Ошибка', 'Вылетает'), [])).toBe('urgent');
  });
});

describe('the rotation of operators on shift', () => {
  const shift = (
    operatorId: number,
    onSince: number,
    lastAssignedAt: number | null,
  ): OperatorShiftRecord => ({
    chatPeerId: 2_000_000_002,
    operatorId,
    name: null,
    onSince,
    lastAssignedAt,
  });

  it('gives the next ticket to whoever had one least recently, a newcomer first, ties by arrival then id', () => {
    const next = (shifts: OperatorShiftRecord[]) => nextOnShift(shifts, 100, DEFAULT_SHIFT_MS);
    expect(next([])).toBeNull();
    expect(next([shift(1, 0, 50), shift(2, 0, 40), shift(3, 0, 60)])?.operatorId).toBe(2);
    expect(next([shift(1, 0, 50), shift(2, 10, null)])?.operatorId).toBe(2);
    expect(next([shift(5, 20, null), shift(4, 10, null)])?.operatorId).toBe(4);
    expect(next([shift(5, 10, 30), shift(4, 10, 30)])?.operatorId).toBe(4);
  });

  it('leaves out a shift past its length: it ended on its own, whoever forgot /shift off', () => {
    const shifts = [shift(1, 0, null), shift(2, 50, 60)];
    expect(nextOnShift(shifts, 99, 100)?.operatorId).toBe(1);
    expect(nextOnShift(shifts, 100, 100)?.operatorId).toBe(2);
    expect(nextOnShift(shifts, 150, 100)).toBeNull();
  });

  it('goes round: each pick recorded, three operators get six tickets two each, in turn', () => {
    let shifts = [shift(10, 0, null), shift(20, 0, null), shift(30, 0, null)];
    const order: number[] = [];
    for (let at = 100; at < 106; at++) {
      const next = nextOnShift(shifts, at, DEFAULT_SHIFT_MS);
      if (!next) throw new Error('nobody');
      order.push(next.operatorId);
      shifts = shifts.map((s) => (s.operatorId === next.operatorId ? { ...s, lastAssignedAt: at } : s));
    }
    expect(order).toEqual([10, 20, 30, 10, 20, 30]);
  });
});
