import type { TicketMessageRecord } from '../../lib/storage/port';
import {
  afterSent,
  afterUndeliverable,
  chatMessageOf,
  emptyUpdateState,
  notificationOf,
  type PendingUpdate,
  withUpdate,
} from '../../lib/tickets/update-digest';

const reply = (ticketId: string, number: string, seq: number, at = seq): PendingUpdate => ({
  key: `ticket-update:${ticketId}:message:${seq}`,
  ticketId,
  number,
  event: 'reply',
  seq,
  status: null,
  at,
});
const status = (
  ticketId: string,
  number: string,
  seq: number,
  to: PendingUpdate['status'],
  at = 100 + seq,
) => ({
  ...reply(ticketId, number, seq, at),
  key: `ticket-update:${ticketId}:status:${seq}`,
  event: 'status' as const,
  status: to,
});
const message = (ticketId: string, seq: number, text: string, extra: Partial<TicketMessageRecord> = {}) => ({
  ticketId,
  seq,
  author: 'operator' as const,
  authorId: 7,
  text,
  attachments: [],
  internal: false,
  createdAt: seq,
  ...extra,
});

describe('ticket update digests', () => {
  const threads = new Map([
    [
      't1',
      [
        message('t1', 2, 'Какая версия?'),
        message('t1', 3, 'И модель телефона?', { attachments: ['photo1_2'] }),
      ],
    ],
    ['t2', [message('t2', 2, 'Готово')]],
  ]);

  it('words one update as always and several as a line per ticket, in Russian plurals', () => {
    expect(notificationOf('ru', [reply('t1', 'B-1', 2)], threads)?.text).toBe('Новый ответ по обращению B-1');
    expect(notificationOf('ru', [status('t1', 'B-1', 1, 'resolved')], threads)?.text).toBe(
      'Обращение B-1: решено ✅',
    );
    const digest = notificationOf(
      'ru',
      [
        reply('t1', 'B-1', 2),
        reply('t1', 'B-1', 3),
        status('t1', 'B-1', 1, 'waiting_for_user'),
        reply('t2', 'Q-2', 2),
      ],
      threads,
    );
    expect(digest).toMatchObject({
      text: 'B-1: 2 ответа оператора, статус — ждём вашего ответа; Q-2: 1 ответ оператора',
      fragment: 'tickets',
    });
    const five = new Map([['t1', [2, 3, 4, 5, 6].map((seq) => message('t1', seq, `ответ ${seq}`))]]);
    expect(
      notificationOf(
        'ru',
        [2, 3, 4, 5, 6].map((seq) => reply('t1', 'B-1', seq)),
        five,
      )?.text,
    ).toBe('B-1: 5 ответов оператора');
    expect(notificationOf('en', [reply('t1', 'B-1', 2), reply('t1', 'B-1', 3)], threads)?.text).toBe(
      'B-1: 2 operator replies',
    );
  });

  it('keeps every reply’s words and attachments in the chat digest, within VK’s 4096 characters', () => {
    const chat = chatMessageOf('ru', [reply('t1', 'B-1', 2), reply('t1', 'B-1', 3)], threads);
    expect(chat).toEqual({
      text: '📬 B-1: 2 ответа оператора\n\n💬 Какая версия?\n\n💬 И модель телефона?',
      attachments: ['photo1_2'],
    });
    const long = new Map([['t1', [2, 3].map((seq) => message('t1', seq, 'я'.repeat(4000)))]]);
    expect(chatMessageOf('ru', [reply('t1', 'B-1', 2), reply('t1', 'B-1', 3)], long)?.text).toHaveLength(
      4096,
    );
  });

  it('says nothing of internal notes or replies erased since', () => {
    const notes = new Map([['t1', [message('t1', 2, 'между нами', { internal: true })]]]);
    expect(notificationOf('ru', [reply('t1', 'B-1', 2)], notes)).toBeNull();
    expect(chatMessageOf('ru', [reply('t1', 'B-1', 9)], threads)).toBeNull();
  });

  it('adds an update once, whether it is pending, in flight or sent; a failed send makes it pending again', () => {
    const first = reply('t1', 'B-1', 2);
    let state = withUpdate(emptyUpdateState(), first);
    expect(withUpdate(state, first)).toBe(state);
    state = {
      ...state,
      pending: [],
      inflight: { channel: 'chat', updates: [first], sendKey: 'k', slot: null, at: 1 },
    };
    expect(withUpdate(state, first)).toBe(state);
    expect(afterUndeliverable(state, 'k').pending).toEqual([first]);
    state = afterSent(state, 'k');
    expect(state).toMatchObject({ inflight: null, sent: [first.key] });
    expect(withUpdate(state, first)).toBe(state); // a redelivered job
  });
});
