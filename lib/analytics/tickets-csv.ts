import { MINUTE } from '../clock';
import type { BusinessHours } from '../schedule/business-hours';
import type { Store, SurveyRecord, TicketRecord } from '../storage/port';
import type { SupportSettings } from '../support/settings';
import { priorityOf } from '../tickets/priority';
import {
  forEachTicketPage,
  kpiFactsOf,
  surveysOfPage,
  type TicketKpiFacts,
  timelineFor,
} from './support-kpis';

/**
 * The admins' ticket export as CSV (RFC 4180): a header row, then one row per ticket. Lines end
 * with CRLF; a field holding a comma, a quote, CR or LF is quoted with its quotes doubled.
 */

/** The columns, in order; the header row is these names. */
export const ticketCsvColumns = [
  'number',
  'created',
  'category',
  'screen',
  'status',
  'priority',
  'first_response_minutes',
  'resolution_minutes',
  'sla_breached',
  'rating',
  'operator',
] as const;

type CsvValue = string | number | boolean | null;

/**
 * Characters that make a spreadsheet read a cell as a formula (`=HYPERLINK(…)`, `+1+cmd|…`, `@SUM`),
 * plus tab and CR, which some spreadsheets skip before looking (OWASP's list).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One field: empty for null, numbers and booleans as written, text quoted when it must be. Text a
 * spreadsheet would run as a formula gets a leading apostrophe (`'=cmd`), the common export practice
 * against CSV injection: Excel and LibreOffice then show it as text. Numbers are never text, so a
 * negative number stays a number.
 */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record: its fields joined by commas, ended by CRLF. */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const ticketCsvHeader = csvLine(ticketCsvColumns);

/**
 * The rating a ticket got: its latest answered survey's (a reopened and resolved again ticket may
 * have one per resolution), null when none was answered.
 */
export function ratingOf(surveys: readonly SurveyRecord[]): number | null {
  let latest: SurveyRecord | null = null;
  for (const survey of surveys) {
    if (survey.status !== 'answered' || survey.rating === null || survey.answeredAt === null) continue;
    if (!latest || (latest.answeredAt ?? 0) <= survey.answeredAt) latest = survey;
  }
  return latest?.rating ?? null;
}

/**
 * Whether the ticket missed an SLA target, as the support KPIs judge it (`targetVerdict`): a breach
 * recorded, a target met late, or one past due and still owed at `now` (before any check flagged it).
 */
export function slaBreached(facts: TicketKpiFacts): boolean {
  return facts.firstResponse.verdict === 'missed' || facts.resolution.verdict === 'missed';
}

const minutes = (ms: number | null) => (ms === null ? null : Math.round((ms / MINUTE) * 10) / 10);

/** A ticket's row: times in business minutes to 1 decimal, `created` in ISO 8601 (UTC). */
export function ticketCsvRow(
  ticket: TicketRecord,
  surveys: readonly SurveyRecord[],
  settings: { support: SupportSettings; hours: Pick<BusinessHours, 'businessTimeBetween'> },
  now: number,
): string {
  const facts = kpiFactsOf(ticket, settings, now);
  return csvLine([
    ticket.number,
    new Date(ticket.createdAt).toISOString(),
    ticket.category,
    typeof ticket.details.screen === 'string' ? ticket.details.screen : null,
    ticket.status,
    priorityOf(ticket),
    minutes(facts.firstResponse.businessMs),
    minutes(facts.resolution.businessMs),
    slaBreached(facts),
    ratingOf(surveys),
    ticket.assigneeId,
  ]);
}

/**
 * A function's answer is one JSON document of at most 3.5 MB (Cloud Functions' limit on a response),
 * the CSV inside it escaped (each CRLF becomes `\r\n`): past this the export is refused rather than
 * have the platform fail it.
 */
export const EXPORT_BODY_LIMIT_BYTES = 3_000_000;

/**
 * How much CSV text an export may build before it is gzipped for a client that accepts gzip: CSV
 * shrinks about tenfold, so the gzipped file (base64 in the answer) still fits the limit above.
 */
export const GZIP_SOURCE_LIMIT_BYTES = 40_000_000;

/**
 * The export of the tickets created in `[since, until)`, oldest first; null when it would pass
 * `limitBytes` as the function's JSON answer carries it (reading stops there). A Cloud Function answers
 * with one body, so "streamed" means read page by page (a read transaction per 500 tickets) and each
 * page written out as CSV text at once: no ticket record outlives its page, only the text is kept.
 */
export async function ticketsCsv(
  store: Pick<Store, 'read'>,
  range: { since: number; until: number },
  settings: { support: SupportSettings; hours: BusinessHours },
  now: number,
  limitBytes = EXPORT_BODY_LIMIT_BYTES,
): Promise<string | null> {
  const chunks = [ticketCsvHeader];
  const measure = { support: settings.support, hours: timelineFor(settings.hours, range, now) };
  const escapedBytes = (text: string) => Buffer.byteLength(JSON.stringify(text)) - 2;
  let bytes = escapedBytes(ticketCsvHeader);
  await forEachTicketPage(store, range, async (tickets, repositories) => {
    let page = '';
    const surveys = await surveysOfPage(repositories, tickets);
    for (const ticket of tickets)
      page += ticketCsvRow(ticket, surveys.get(ticket.ticketId) ?? [], measure, now);
    bytes += escapedBytes(page);
    chunks.push(page);
    return bytes <= limitBytes;
  });
  return bytes > limitBytes ? null : chunks.join('');
}
