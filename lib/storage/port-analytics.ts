/**
 * The analytics aggregates of the storage port (re-exported from port.ts): each user's daily activity
 * record, kept as events arrive, and NPS answers with the survey's asks. Shaped like the rest of the
 * port for YDB: point reads by key, bounded index ranges, pages by key.
 */

/**
 * The days a user was active (sent any event), as a bitmap over local dates of the community's
 * timezone: bit `i` of `activeDays` is day `firstDay + i` (days since 1970-01-01). One row per user,
 * written only on the first event of a day, so retention and DAU/WAU/MAU never read the events.
 */
export interface ActivityRecord {
  userId: number;
  /** The first active day: the user's cohort. */
  firstDay: number;
  /** The latest active day: the index that finds who was active in a range. */
  lastDay: number;
  /** The bitmap, base64 (little-endian bits within each byte). */
  activeDays: string;
  updatedAt: number;
}

export interface ActivityRepository {
  get(userId: number): Promise<ActivityRecord | null>;
  put(record: ActivityRecord): Promise<void>;
  /**
   * Users last active on `sinceDay` or later, by (lastDay, userId), one page after `after`: everyone
   * active in a range ending today has a lastDay at or after the range's start.
   */
  listActiveSince(
    sinceDay: number,
    page: { after?: { lastDay: number; userId: number }; limit: number },
  ): Promise<ActivityRecord[]>;
  deleteByUser(userId: number): Promise<void>;
}

export type NpsSource = 'app' | 'bot';

/** One answer to "how likely are you to recommend us" (0–10), from the mini app or the bot. */
export interface NpsResponseRecord {
  userId: number;
  respondedAt: number;
  score: number;
  comment: string | null;
  source: NpsSource;
}

export interface NpsRepository {
  /** Stores an answer under (user, respondedAt); the same key again replaces it. */
  put(response: NpsResponseRecord): Promise<void>;
  /** The user's latest answer. */
  latestByUser(userId: number): Promise<NpsResponseRecord | null>;
  /** The user's answers, oldest first (their data export). */
  listByUser(userId: number, limit: number): Promise<NpsResponseRecord[]>;
  delete(userId: number, respondedAt: number): Promise<void>;
  /** Answers given in `[since, until)`, by (respondedAt, userId), one page after `after`. */
  listBetween(range: {
    since: number;
    until: number;
    after?: { respondedAt: number; userId: number };
    limit: number;
  }): Promise<NpsResponseRecord[]>;
  /** When the bot last asked the user (the survey goes at most once in 90 days). */
  askedAt(userId: number): Promise<number | null>;
  markAsked(userId: number, at: number): Promise<void>;
  /** Erasure: the user's answers and asks. */
  deleteByUser(userId: number): Promise<void>;
}
