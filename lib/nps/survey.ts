import { dayOf } from '../analytics/activity';
import { NPS_PERIOD } from '../analytics/nps';
import { clientOf } from '../bot/dialog';
import { type Button, type ButtonColor, buildKeyboard } from '../bot/keyboard';
import { VK_MESSAGE_JOB } from '../bot/turn';
import type { Clock } from '../clock';
import { type LeasedRunState, takeRunLease } from '../dispatcher/run-lease';
import { describeError } from '../errors';
import { render } from '../i18n/catalog';
import { claimMarketingMessage } from '../journeys/message-cap';
import type { Logger } from '../log/logger';
import { utcDay } from '../notifications/daily-cap';
import { createJob, type NewJob } from '../queue/jobs';
import { quietHoursEnd } from '../schedule/quiet-hours';
import type {
  DialogRecord,
  Language,
  NpsResponseRecord,
  QuietHours,
  Repositories,
  Store,
  UserRecord,
} from '../storage/port';

/**
 * The bot's NPS survey: once a day (the notify-dispatcher's daily run) up to `dailyLimit` users who
 * were active in the last 30 days, allow the community's messages and were neither asked nor
 * answered (in the app or the bot) within 90 days get "how likely are you to recommend us" in the
 * chat, with the scores 0–10 as buttons. The answer is the bot's (lib/bot/flows/nps.ts).
 */

export interface NpsSurveySettings {
  /** `NPS_SURVEY_DAILY_LIMIT`: users asked a day; 0 turns the survey off. */
  dailyLimit: number;
  /** `MARKETING_MESSAGES_DAILY_CAP`: the survey is one of the user's marketing messages of the day. */
  messagesDailyCap: number;
  /** The community's timezone: activity days, and quiet hours of users whose own is unknown. */
  timezone: string;
  defaultQuietHours: QuietHours | null;
}

/** Who counts as active: an event on one of the last 30 local days, today included. */
const ACTIVE_DAYS = 30;
/** Activity records read at once; each run checkpoints after a page. */
const PAGE_SIZE = 200;

/** The survey message's deferred job: one per user and UTC day, so a re-run sends nothing twice. */
export function npsSurveyJobId(userId: number, day: string): string {
  return `nps:${userId}:${day}`;
}

/** The claim a day's survey run keeps its state in (as `dispatch:<day>` for campaigns). */
export function npsSurveyClaimKey(day: string): string {
  return `nps-survey:${day}`;
}

export type NpsSkipReason =
  | 'consent'
  | 'asked_recently'
  | 'answered_recently'
  | 'quiet_hours'
  | 'with_operator'
  | 'campaign_message_today'
  | 'daily_cap';

export interface NpsSurveyReport {
  /** Users asked today (a resumed run counts the ones its predecessor asked on the pages it redoes). */
  asked: number;
  /** Active users looked at. */
  considered: number;
  skipped: Partial<Record<NpsSkipReason, number>>;
}

export interface NpsSurveyResult {
  day: string;
  /** False when the survey is off, or this day's run finished already or is running elsewhere. */
  started: boolean;
  report?: NpsSurveyReport;
}

interface RunState extends LeasedRunState {
  /** The last activity record done: the next page starts after it. */
  after: { lastDay: number; userId: number } | null;
  report: NpsSurveyReport;
}

/** What decides whether a user is asked, read in the transaction that asks them. */
export interface NpsCandidate {
  user: UserRecord | null;
  askedAt: number | null;
  latest: NpsResponseRecord | null;
  dialog: DialogRecord | null;
  /**
   * A daily campaign's community message is planned for (or went to) them today: it claims the day's
   * marketing message when it is sent, later than the survey would, so the survey leaves them the day.
   */
  campaignMessageToday?: boolean;
}

/**
 * Why a user is not asked now (null: ask): no permission to write, asked or answered within the NPS
 * period, their quiet hours (the same local hours as campaigns), or an operator talking with them.
 */
export function npsSurveyProblem(
  candidate: NpsCandidate,
  now: number,
  settings: Pick<NpsSurveySettings, 'timezone' | 'defaultQuietHours'>,
): NpsSkipReason | null {
  const { user } = candidate;
  if (user?.messagesAllowed !== true) return 'consent';
  if (candidate.askedAt !== null && now - candidate.askedAt < NPS_PERIOD) return 'asked_recently';
  if (candidate.latest && now - candidate.latest.respondedAt < NPS_PERIOD) return 'answered_recently';
  const quiet = user.quietHours ?? settings.defaultQuietHours;
  if (quietHoursEnd(quiet, now, user.timezone ?? settings.timezone) !== null) return 'quiet_hours';
  const silentUntil = candidate.dialog?.operatorSilentUntil ?? null;
  if (silentUntil !== null && silentUntil > now) return 'with_operator';
  if (candidate.campaignMessageToday) return 'campaign_message_today';
  return null;
}

function scoreColor(score: number): ButtonColor {
  return score >= 9 ? 'positive' : score >= 7 ? 'secondary' : 'negative';
}

/**
 * The scores as buttons, 0–3, 4–7 and 8–10: eleven buttons are more than an inline keyboard holds
 * (VK: 10), so they go in a normal keyboard, whose rows take 5 at most.
 */
export function npsButtons(): Button[][] {
  const button = (score: number): Button => ({
    label: String(score),
    payload: { c: 'nps', s: score },
    color: scoreColor(score),
  });
  const scores = Array.from({ length: 11 }, (_, score) => score);
  return [scores.slice(0, 4), scores.slice(4, 8), scores.slice(8)].map((row) => row.map(button));
}

/** The survey's message for this user: buttons where their client shows a normal keyboard, else words. */
export function npsSurveyMessage(
  language: Language,
  dialog: DialogRecord | null,
): { text: string; keyboard?: object } {
  const keyboard = buildKeyboard(npsButtons(), clientOf(dialog), { placement: 'normal' });
  const ask = render(language, 'nps.ask');
  return keyboard ? { text: ask, keyboard } : { text: `${ask}\n\n${render(language, 'nps.typed')}` };
}

/** Campaign deliveries that mean a community message today (the control group gets none). */
const MESSAGE_ON_ITS_WAY: ReadonlySet<string> = new Set(['planned', 'claimed', 'sent']);

async function loadCandidate(repositories: Repositories, userId: number, now: number): Promise<NpsCandidate> {
  const today = utcDay(now);
  const deliveries = await repositories.deliveries.listByUser(userId, today);
  return {
    user: await repositories.users.get(userId),
    askedAt: await repositories.nps.askedAt(userId),
    latest: await repositories.nps.latestByUser(userId),
    dialog: await repositories.dialogs.get(userId),
    campaignMessageToday: deliveries.some(
      (delivery) =>
        delivery.day === today && delivery.channel === 'message' && MESSAGE_ON_ITS_WAY.has(delivery.status),
    ),
  };
}

/** Asked on this UTC day already: by this day's run, which a resumed run may meet again. */
function askedToday(candidate: NpsCandidate, problem: NpsSkipReason | null, now: number): boolean {
  return (
    problem === 'asked_recently' && candidate.askedAt !== null && utcDay(candidate.askedAt) === utcDay(now)
  );
}

type Asking =
  | { kind: 'asked'; job: NewJob }
  | { kind: 'asked_before'; jobId: string }
  | { kind: NpsSkipReason };

/**
 * Asks one user, in one transaction: the checks again, the user's marketing message of the day
 * (`MARKETING_MESSAGES_DAILY_CAP`; none left: skipped today, not marked asked), the ask recorded and
 * the message's job created, keyed `nps:<user>:<day>`. A user this day's run asked already (a run
 * resumed over the page it died in) is told apart, so they count without a second message.
 */
export async function askNps(
  repositories: Repositories,
  userId: number,
  now: number,
  settings: NpsSurveySettings,
): Promise<Asking> {
  const jobId = npsSurveyJobId(userId, utcDay(now));
  const candidate = await loadCandidate(repositories, userId, now);
  const { user, dialog } = candidate;
  const problem = npsSurveyProblem(candidate, now, settings);
  if (askedToday(candidate, problem, now) && (await repositories.jobs.get(jobId)))
    return { kind: 'asked_before', jobId };
  if (problem || !user) return { kind: problem ?? 'consent' };
  if (!(await claimMarketingMessage(repositories, userId, now, settings.messagesDailyCap, jobId)))
    return { kind: 'daily_cap' };
  await repositories.nps.markAsked(userId, now);
  const job: NewJob = {
    jobId,
    kind: VK_MESSAGE_JOB,
    payload: { peerId: userId, ...npsSurveyMessage(user.language ?? 'ru', dialog) },
    dueAt: now,
  };
  await createJob(repositories, job, now);
  return { kind: 'asked', job };
}

/**
 * The day's survey run. `nps-survey:<day>` is claimed first, so a re-fired timer or two overlapping
 * runs ask once; the claim keeps the run's place (the last activity record done) and its count, so a
 * run that died part way is resumed by the next fire, never past the day's limit. Active users are
 * read page by page from the activity index (last active day ≥ today − 29).
 */
export async function runNpsSurvey(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  settings: NpsSurveySettings;
  /** Sends the first hop of the message jobs committed (the deferred worker sends the messages). */
  dispatch: (jobs: ReadonlyArray<NewJob & { hop?: number }>) => Promise<void>;
  pageSize?: number;
}): Promise<NpsSurveyResult> {
  const { store, clock, logger, settings } = deps;
  const now = clock.now();
  const day = utcDay(now);
  if (settings.dailyLimit <= 0) return { day, started: false };
  const key = npsSurveyClaimKey(day);
  const lease = await takeRunLease<RunState>({ store, clock }, key, ({ runId, now, existing }) => ({
    runId,
    startedAt: existing?.startedAt ?? now,
    heartbeatAt: now,
    after: existing?.after ?? null,
    report: existing?.report ?? { asked: 0, considered: 0, skipped: {} },
    finishedAt: null,
  }));
  if (!lease) {
    logger.info('nps survey already ran or is running', { day, key });
    return { day, started: false };
  }
  const { state: acquired, checkpoint } = lease;

  const report = acquired.report;
  let after = acquired.after;
  const sinceDay = dayOf(now, settings.timezone) - (ACTIVE_DAYS - 1);
  const pageSize = deps.pageSize ?? PAGE_SIZE;
  let lost = false;
  while (report.asked < settings.dailyLimit) {
    const page = await store.read((r) =>
      r.activity.listActiveSince(sinceDay, { ...(after ? { after } : {}), limit: pageSize }),
    );
    // The page's checks in one read first: most active users were asked lately (after the first
    // three months), and they need no write transaction.
    const pageNow = clock.now();
    const precheck = await store.read(async (r) => {
      const problems = new Map<number, NpsSkipReason>();
      for (const { userId } of page) {
        const candidate = await loadCandidate(r, userId, pageNow);
        const problem = npsSurveyProblem(candidate, pageNow, settings);
        if (problem && !askedToday(candidate, problem, pageNow)) problems.set(userId, problem);
      }
      return problems;
    });
    for (const record of page) {
      if (report.asked >= settings.dailyLimit) break;
      report.considered++;
      after = { lastDay: record.lastDay, userId: record.userId };
      const known = precheck.get(record.userId);
      if (known) {
        report.skipped[known] = (report.skipped[known] ?? 0) + 1;
        continue;
      }
      const asking = await store.transaction((r) => askNps(r, record.userId, clock.now(), settings), {
        idempotent: true,
      });
      if (asking.kind === 'asked' || asking.kind === 'asked_before') {
        report.asked++;
        // The hop may have been lost with the run that asked before: sending it again is harmless.
        const jobs: Array<NewJob & { hop?: number }> = asking.kind === 'asked' ? [asking.job] : [];
        if (asking.kind === 'asked_before') {
          const job = await store.read((r) => r.jobs.get(asking.jobId));
          if (job?.status === 'pending') jobs.push(job);
        }
        // A hop that doesn't get out is sent by the rescue timer (the job is committed).
        await deps
          .dispatch(jobs)
          .catch((error: unknown) =>
            logger.warn('nps survey message not dispatched', { error: describeError(error) }),
          );
      } else {
        report.skipped[asking.kind] = (report.skipped[asking.kind] ?? 0) + 1;
      }
    }
    if (!(await checkpoint({ after, report }))) {
      lost = true;
      break;
    }
    if (page.length < pageSize) break;
  }
  if (lost) {
    logger.warn('nps survey run lost its lease to another', { day, key });
    return { day, started: true, report };
  }
  await checkpoint({ after, report, finishedAt: clock.now() });
  logger.info('nps survey asked', { day, key, asked: report.asked, considered: report.considered });
  return { day, started: true, report };
}
