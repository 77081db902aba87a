import {
  contactTerms,
  NAME_PREFIX_MAX,
  nameMatches,
  nameTerms,
  parseTicketQuery,
  searchEntriesOf,
} from '../../lib/tickets/search-terms';

/** What a ticket is indexed under, and what a typed search asks for. */

const prefixes = ['B', 'Q', 'S', 'P'];

describe('search terms of a ticket', () => {
  it('indexes every prefix of the first name, lower case, ё as е', () => {
    expect(nameTerms('Алёна')).toEqual(['name:а', 'name:ал', 'name:але', 'name:ален', 'name:алена']);
    expect(nameTerms(null)).toEqual([]);
    expect(nameTerms('  ')).toEqual([]);
    expect(nameTerms('Анна  Мария')).toContain('name:анна мария');
  });

  it('indexes a long name up to the prefix limit only', () => {
    const terms = nameTerms('Абвгдежзийклмнопрстуфхцчшщ');
    expect(terms).toHaveLength(NAME_PREFIX_MAX);
    expect(terms.at(-1)).toBe('name:абвгдежзийклмнопрсту');
  });

  it("normalises the bot's contact string and the form's e-mail and phone alike", () => {
    expect(contactTerms({ contact: '8 900 123-45-67' })).toEqual(['contact:+79001234567']);
    expect(contactTerms({ contact: { email: 'Anna@Example.COM', phone: '89001234567' } })).toEqual([
      'contact:anna@example.com',
      'contact:+79001234567',
    ]);
    expect(contactTerms({ contact: 'not a contact' })).toEqual([]);
    expect(contactTerms({})).toEqual([]);
  });

  it('gives an erased ticket no entries', () => {
    const ticket = { ticketId: 't', createdAt: 5, userId: null, details: { contact: 'a@b.ru' } };
    expect(searchEntriesOf(ticket, 'Анна')).toEqual([]);
    expect(searchEntriesOf({ ...ticket, userId: 7 }, 'Ан')).toEqual([
      { term: 'contact:a@b.ru', createdAt: 5, ticketId: 't' },
      { term: 'name:а', createdAt: 5, ticketId: 't' },
      { term: 'name:ан', createdAt: 5, ticketId: 't' },
    ]);
  });
});

describe('reading a search', () => {
  it('reads a ticket number of a known prefix, however typed', () => {
    for (const typed of ['B-1001', 'b-1001', 'B1001', 'b 1001'])
      expect(parseTicketQuery(typed, prefixes)).toEqual({ kind: 'number', number: 'B-1001' });
    expect(parseTicketQuery('X-1001', prefixes).kind).toBe('name');
  });

  it('reads a VK id: id123, a bare number of up to nine digits, a profile link', () => {
    for (const typed of ['id123', 'ID123', '123', 'vk.com/id123', 'https://vk.com/id123', 'm.vk.com/id123'])
      expect(parseTicketQuery(typed, prefixes)).toEqual({ kind: 'user', userId: 123 });
    expect(parseTicketQuery('id1234567890', prefixes)).toEqual({ kind: 'user', userId: 1234567890 });
    expect(parseTicketQuery('id0', prefixes).kind).not.toBe('user');
  });

  it('reads a ten-digit or formatted number as a phone, and an e-mail as a contact', () => {
    expect(parseTicketQuery('9001234567', prefixes)).toEqual({
      kind: 'contact',
      term: 'contact:+79001234567',
    });
    expect(parseTicketQuery('+7 (900) 123-45-67', prefixes)).toEqual({
      kind: 'contact',
      term: 'contact:+79001234567',
    });
    expect(parseTicketQuery('Anna@Example.com', prefixes)).toEqual({
      kind: 'contact',
      term: 'contact:anna@example.com',
    });
  });

  it('reads anything else as the start of a name, narrowed by the whole name past the indexed prefix', () => {
    expect(parseTicketQuery(' Алё ', prefixes)).toEqual({ kind: 'name', term: 'name:але', name: 'але' });
    const long = parseTicketQuery('Абвгдежзийклмнопрстуфх', prefixes);
    expect(long).toEqual({
      kind: 'name',
      term: 'name:абвгдежзийклмнопрсту',
      name: 'абвгдежзийклмнопрстуфх',
    });
    expect(nameMatches('Абвгдежзийклмнопрстуфхцч', 'абвгдежзийклмнопрстуфх')).toBe(true);
    expect(nameMatches('Абвгдежзийклмнопрстуяя', 'абвгдежзийклмнопрстуфх')).toBe(false);
    expect(nameMatches(null, 'а')).toBe(false);
  });
});
