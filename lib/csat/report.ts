import { localParts } from '../schedule/business-hours';
import type { SurveyRecord, TicketRecord } from '../storage/port';
import { isLowRating } from './survey';

/** One group's figures: average, distribution, share satisfied (4–5 or 👍), response rate. */
export interface CsatFigures {
  /** Surveys that reached the user (a message or a notification). */
  sent: number;
  /** Ratings received, from any channel. */
  answered: number;
  /** Answered ÷ sent, counting only the answers to surveys that were sent. */
  responseRate: number | null;
  average: number | null;
  /** The CSAT score: the share of ratings that are 4–5 (or 👍). */
  satisfied: number | null;
  distribution: Record<string, number>;
}

class Tally {
  sent = 0;
  answeredSent = 0;
  ratings: number[] = [];

  add(survey: SurveyRecord): void {
    if (survey.sentAt !== null) this.sent++;
    if (survey.status !== 'answered' || survey.rating === null) return;
    this.ratings.push(survey.rating);
    if (survey.sentAt !== null) this.answeredSent++;
  }

  figures(): CsatFigures {
    const count = this.ratings.length;
    const distribution: Record<string, number> = {};
    for (const rating of this.ratings) distribution[rating] = (distribution[rating] ?? 0) + 1;
    const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
    return {
      sent: this.sent,
      answered: count,
      responseRate: this.sent ? round(this.answeredSent / this.sent, 3) : null,
      average: count ? round(this.ratings.reduce((a, b) => a + b, 0) / count, 2) : null,
      satisfied: count ? round(this.ratings.filter((rating) => rating >= 4).length / count, 3) : null,
      distribution,
    };
  }
}

/** The ISO week (`2026-W47`) of an instant in the community's timezone. */
export function isoWeek(time: number, timezone: string): string {
  const { year, month, day } = localParts(time, timezone);
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the week's Thursday decides its year
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * CSAT over the surveys of a set of tickets: overall, by credited operator, by category and by
 * week (of the send, or of the answer when none was sent), and the reasons low ratings gave, worst
 * (most frequent) first.
 */
export function csatReport(
  entries: Iterable<{ ticket: Pick<TicketRecord, 'category'>; surveys: readonly SurveyRecord[] }>,
  timezone: string,
) {
  const overall = new Tally();
  const groups = {
    byOperator: new Map<string, Tally>(),
    byCategory: new Map<string, Tally>(),
    byWeek: new Map<string, Tally>(),
  };
  const reasons = new Map<string, number>();
  let lowRatings = 0;
  const tally = (map: Map<string, Tally>, key: string) => {
    const found = map.get(key) ?? new Tally();
    map.set(key, found);
    return found;
  };
  for (const { ticket, surveys } of entries) {
    for (const survey of surveys) {
      const when = survey.sentAt ?? survey.answeredAt;
      if (when === null) continue; // never reached anyone and never answered: not part of CSAT
      overall.add(survey);
      tally(groups.byOperator, survey.operatorId === null ? '(none)' : String(survey.operatorId)).add(survey);
      tally(groups.byCategory, ticket.category).add(survey);
      tally(groups.byWeek, isoWeek(when, timezone)).add(survey);
      if (survey.status === 'answered' && isLowRating(survey.rating)) {
        lowRatings++;
        const reason = survey.reason ?? '(none)';
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
  }
  const figuresOf = (map: Map<string, Tally>) =>
    Object.fromEntries(
      [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => [key, value.figures()]),
    );
  return {
    ...overall.figures(),
    byOperator: figuresOf(groups.byOperator),
    byCategory: figuresOf(groups.byCategory),
    byWeek: figuresOf(groups.byWeek),
    lowRatings,
    worstReasons: [...reasons.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([reason, count]) => ({ reason, count, share: Math.round((count / lowRatings) * 1000) / 1000 })),
  };
}
