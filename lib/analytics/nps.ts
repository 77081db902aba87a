import { DAY } from '../clock';
import type { NpsResponseRecord, NpsSource, Repositories } from '../storage/port';

/**
 * Net Promoter Score: "how likely are you to recommend us" on 0–10, from the mini app
 * (`POST /api/me/nps`) or the bot's survey. Promoters answer 9–10, passives 7–8, detractors 0–6; the
 * score is % promoters − % detractors, rounded (half away from zero).
 */

/** A user is asked (and counted) at most once in this long: a new answer within it replaces the last. */
export const NPS_PERIOD = 90 * DAY;

/** The longest comment kept (the rest is cut, not refused: the score is what counts). */
export const NPS_COMMENT_LIMIT = 1000;

export interface NpsSummary {
  score: number | null;
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
}

export function npsGroup(score: number): 'promoter' | 'passive' | 'detractor' {
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}

/** The summary of a list of scores: `[10, 9, 7, 3]` gives 25. */
export function summariseNps(scores: Iterable<number>): NpsSummary {
  const summary: NpsSummary = { score: null, responses: 0, promoters: 0, passives: 0, detractors: 0 };
  for (const score of scores) {
    summary.responses++;
    const group = npsGroup(score);
    if (group === 'promoter') summary.promoters++;
    else if (group === 'passive') summary.passives++;
    else summary.detractors++;
  }
  if (summary.responses > 0) {
    const raw = ((summary.promoters - summary.detractors) / summary.responses) * 100;
    summary.score = Math.sign(raw) * Math.round(Math.abs(raw)) || 0;
  }
  return summary;
}

/** The NPS of answers given in `[since, until)`, read page by page from the time index. */
export async function npsBetween(
  repositories: Repositories,
  range: { since: number; until: number },
): Promise<NpsSummary> {
  const scores: number[] = [];
  let after: { respondedAt: number; userId: number } | undefined;
  for (;;) {
    const page = await repositories.nps.listBetween({ ...range, limit: 1000, ...(after ? { after } : {}) });
    for (const response of page) scores.push(response.score);
    const last = page.at(-1);
    if (!last || page.length < 1000) break;
    after = { respondedAt: last.respondedAt, userId: last.userId };
  }
  return summariseNps(scores);
}

/**
 * Stores a user's answer in the caller's transaction. An answer within `NPS_PERIOD` of their last one
 * replaces it (one voice per user per period: a user who taps twice, or answers the app and the bot,
 * is counted once, with their latest word; a new score without a comment keeps the last one's).
 * Answers whether one was replaced.
 */
export async function recordNpsAnswer(
  repositories: Repositories,
  answer: { userId: number; score: number; comment: string | null; source: NpsSource },
  now: number,
): Promise<{ response: NpsResponseRecord; replaced: boolean }> {
  const latest = await repositories.nps.latestByUser(answer.userId);
  const replaced = latest !== null && now - latest.respondedAt < NPS_PERIOD;
  if (replaced) await repositories.nps.delete(latest.userId, latest.respondedAt);
  // A new score without words keeps the words of the answer it replaces, as a second press in the bot does.
  const comment =
    answer.comment?.trim().slice(0, NPS_COMMENT_LIMIT) || (replaced ? latest.comment : null) || null;
  const response: NpsResponseRecord = { ...answer, comment, respondedAt: now };
  await repositories.nps.put(response);
  return { response, replaced };
}

/** One page of the answers with words, oldest first, from after `after` (a cursor of the last read). */
export async function npsCommentsBetween(
  repositories: Repositories,
  range: { since: number; until: number; after?: { respondedAt: number; userId: number }; limit: number },
): Promise<{ comments: NpsResponseRecord[]; next: { respondedAt: number; userId: number } | null }> {
  const comments: NpsResponseRecord[] = [];
  let after = range.after;
  // Answers without words are passed over; reading stops at the page's worth of words or the range's end.
  for (;;) {
    const page = await repositories.nps.listBetween({
      since: range.since,
      until: range.until,
      limit: 500,
      ...(after ? { after } : {}),
    });
    for (const response of page) {
      after = { respondedAt: response.respondedAt, userId: response.userId };
      if (response.comment) comments.push(response);
      if (comments.length === range.limit) return { comments, next: after };
    }
    if (page.length < 500) return { comments, next: null };
  }
}
