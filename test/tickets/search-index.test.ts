import type { TicketRecord } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { forgetTicketTerms, indexNewTicket, indexRequesterName } from '../../lib/tickets/search-index';
import { newUserRecord } from '../../lib/users/account';

/** The search index follows a ticket's creation, its requester's name, and its anonymisation. */

const t0 = Date.UTC(2026, 10, 1, 9, 0);
const ticket = (id: string, createdAt: number): TicketRecord => ({
  ticketId: id,
  number: `B-${createdAt - t0 + 1001}`,
  userId: 7,
  channel: 'app',
  category: 'bug',
  subject: 'Не открывается экран',
  status: 'new',
  assigneeId: null,
  details: { contact: 'olga@example.com' },
  createdAt,
  updatedAt: createdAt,
});

const termsOf = async (store: SqliteStore, ticketId: string) =>
  (await store.read((r) => r.ticketSearch.listByTicket(ticketId))).map((entry) => entry.term);

describe('the search index of a ticket', () => {
  it("is written at creation, follows the requester's new name, and is forgotten whole", async () => {
    const store = new SqliteStore(':memory:');
    const first = ticket('t-1', t0);
    const second = ticket('t-2', t0 + 1);
    await store.transaction(async (r) => {
      await r.users.put(newUserRecord(7, t0, { firstName: 'Ольга' }));
      for (const created of [first, second]) {
        await r.tickets.create(created);
        await indexNewTicket(r, created);
      }
    });
    expect(await termsOf(store, 't-1')).toEqual([
      'contact:olga@example.com',
      'name:о',
      'name:ол',
      'name:оль',
      'name:ольг',
      'name:ольга',
    ]);

    await store.transaction((r) => indexRequesterName(r, 7, 'Оля'));
    for (const id of ['t-1', 't-2'])
      expect(await termsOf(store, id)).toEqual(['contact:olga@example.com', 'name:о', 'name:ол', 'name:оля']);
    // Again: nothing changes.
    await store.transaction((r) => indexRequesterName(r, 7, 'Оля'));
    expect(await termsOf(store, 't-2')).toEqual([
      'contact:olga@example.com',
      'name:о',
      'name:ол',
      'name:оля',
    ]);

    await store.transaction((r) => forgetTicketTerms(r, 't-1'));
    expect(await termsOf(store, 't-1')).toEqual([]);
    expect(await termsOf(store, 't-2')).toHaveLength(4);
    await store.close();
  });

  it('indexes a ticket of a user with no known name by its contact only', async () => {
    const store = new SqliteStore(':memory:');
    const created = ticket('t-3', t0);
    await store.transaction(async (r) => {
      await r.tickets.create(created);
      await indexNewTicket(r, created);
    });
    expect(await termsOf(store, 't-3')).toEqual(['contact:olga@example.com']);
    await store.transaction((r) => indexRequesterName(r, 8, 'Никто')); // no tickets: nothing to do
    await store.close();
  });
});
