import { parseContact } from '../bot/contact';

/**
 * A ticket's contact as operators and the CRM read it, whoever took it: the bot keeps what the user
 * typed as one string (`details.contact: "+79001234567"`), the mini app's form `{ email?, phone? }`.
 * Both read the same here, normalised as the bot normalises what users type.
 */
export interface TicketContact {
  email: string | null;
  phone: string | null;
  /** When the user agreed to the contact notice (FZ-152); null on tickets from before it was asked. */
  consentAt: number | null;
}

/** The ticket's contact, or null when it has none (never given, or anonymised since). */
export function ticketContactOf(details: Readonly<Record<string, unknown>>): TicketContact | null {
  const given = details.contact;
  const typed =
    typeof given === 'string'
      ? [given]
      : given && typeof given === 'object'
        ? Object.values(given).filter((value): value is string => typeof value === 'string')
        : [];
  const contact: TicketContact = {
    email: null,
    phone: null,
    consentAt: typeof details.contactConsentAt === 'number' ? details.contactConsentAt : null,
  };
  for (const parsed of typed.map(parseContact)) {
    if (parsed?.kind === 'email') contact.email ??= parsed.value;
    if (parsed?.kind === 'phone') contact.phone ??= parsed.value;
  }
  return contact.email === null && contact.phone === null ? null : contact;
}
