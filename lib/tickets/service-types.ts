import type { Clock } from '../clock';
import type { CsatSettings } from '../csat/survey';
import type { Logger } from '../log/logger';
import { createJob, type NewJob } from '../queue/jobs';
import type { BusinessHours } from '../schedule/business-hours';
import type {
  Repositories,
  StatusChangeRecord,
  Store,
  SurveyRecord,
  TicketChannel,
  TicketMessageRecord,
  TicketRecord,
} from '../storage/port';
import type { SupportSettings } from '../support/settings';
import type { OperatorsChats, UrgentPhrases } from './routing';

/**
 * What the ticket service (lib/tickets/service.ts) takes and gives: its settings and dependencies,
 * a new ticket's shape, the views it returns, and the outbox a caller's transaction carries.
 */

export interface TicketServiceSettings {
  support: SupportSettings;
  hours: BusinessHours;
  ticketsPerHour: number;
  reopenWindowMs: number;
  autoCloseMs: number;
  /** A closed ticket's personal data is anonymised this long after it closes (FZ-152). */
  personalDataRetentionMs: number;
  /** Ticket events go to the CRM only when a webhook is configured. */
  crmWebhooks: boolean;
  /** Each resolution schedules a satisfaction survey. */
  csat: CsatSettings;
  /** Which chat gets a category's tickets (new ones go round the operators on shift there). */
  operatorsChats: OperatorsChats;
  /** Words that make a ticket urgent, when filed or in the user's later message (content/priority.json). */
  urgentPhrases: UrgentPhrases;
}

export interface TicketServiceDependencies {
  store: Store;
  clock: Clock;
  logger: Logger;
  settings: TicketServiceSettings;
  /** Sends the first hop of committed deferred jobs (DeferredJobs.dispatch); failures are rescued later. */
  dispatchJobs: (jobIds: readonly string[]) => Promise<void>;
  /**
   * Called in the transaction of every status, assignee or priority change, with the ticket as
   * written: the composition root hangs the operators' card refresh here (the card shows them), so a
   * change made through the API, the mini app or a timer reaches the chat too.
   */
  onTicketChanged?: (ticket: TicketRecord, outbox: Outbox, now: number) => void;
  /** Called in the transaction that files a ticket: the composition root announces it to the operators' chat. */
  onTicketFiled?: (ticket: TicketRecord, outbox: Outbox, now: number) => void;
  /**
   * Called in the transaction that adds a user's message written in the mini app to their ticket:
   * the composition root relays it to the operators' chat, as the chat bot relays what users write there.
   */
  onAppMessage?: (ticket: TicketRecord, message: TicketMessageRecord, outbox: Outbox, now: number) => void;
}

export interface NewTicket {
  userId: number;
  channel: TicketChannel;
  category: string;
  subject: string;
  description: string;
  attachments: string[];
  /** Screen, app version, platform, contact, recent events: what operators see beside the thread. */
  details: Record<string, unknown>;
  /** The client's retry key (Idempotency-Key) and a hash of what it sent with it. */
  idempotency?: { key: string; requestHash: string };
}

export interface CreatedTicket {
  ticket: TicketRecord;
  /** True when the idempotency key had already created this ticket. */
  replayed: boolean;
  expectedFirstResponseAt: number | null;
}

export interface ThreadView {
  ticket: TicketRecord;
  messages: TicketMessageRecord[];
  statusChanges: StatusChangeRecord[];
  /** One per resolution: what the rating screen needs. */
  surveys: SurveyRecord[];
}

/** Work queued inside a transaction, run after it commits. */
export type Outbox = { jobs: NewJob[] };

/**
 * A caller's open transaction: the chat bot claims its event id and changes tickets in one commit.
 * The caller creates the outbox's jobs before committing (`writeOutbox`) and dispatches them after.
 */
export interface TransactionScope {
  repositories: Repositories;
  outbox: Outbox;
}

/** Creates the rows of an outbox's jobs inside the transaction that queued them. */
export async function writeOutbox(repositories: Repositories, outbox: Outbox, now: number): Promise<void> {
  for (const job of outbox.jobs) await createJob(repositories, job, now);
}
