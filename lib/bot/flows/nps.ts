import { NPS_COMMENT_LIMIT, NPS_PERIOD, npsGroup, recordNpsAnswer } from '../../analytics/nps';
import { DAY, MINUTE } from '../../clock';
import type { Dialog } from '../dialog';
import type { ButtonPayload } from '../payload';
import type { Flow, Outcome } from './context';

/** The words behind a score are taken this long after the bot asked for them. */
export const NPS_COMMENT_WAIT = 30 * MINUTE;
/** A score typed instead of pressed counts this long after the survey went out. */
const TYPED_SCORE_WINDOW = 7 * DAY;
/** Hides the survey's normal keyboard (a callback press leaves it up; VK: `{"buttons":[]}`). */
const HIDE_KEYBOARD = { buttons: [] };

export type NpsPayload = Extract<ButtonPayload, { c: 'nps' }>;

/**
 * The user's side of the NPS survey (lib/nps/survey.ts sends it): a score pressed (callback or text
 * button) or typed while the survey is the bot's last question, then one follow-up question whose
 * answer, typed within 30 minutes, becomes the answer's comment. A press on an old survey counts while
 * the user's last ask is within the NPS period (a second one replaces the score, keeping the words);
 * later it is thanked for and changes nothing. Never an error for the user.
 */
export class NpsFlow implements Flow {
  /** The score's press comes through `answer`, which needs the press itself (its snackbar). */
  readonly presses: Flow['presses'] = {};

  readonly typing: Flow['typing'] = {
    nps_comment: (dialog, typed) => this.#comment(dialog, typed.text),
  };

  async answer(dialog: Dialog, payload: NpsPayload, press: { pressId: string } | null): Promise<Outcome> {
    const { repositories, now } = dialog.turn;
    const score = payload.s;
    const askedAt = await repositories.nps.askedAt(dialog.userId);
    if (askedAt === null || now - askedAt >= NPS_PERIOD) {
      this.#acknowledge(dialog, press, dialog.text('nps.closed'));
      return 'nps_closed';
    }
    const before = await repositories.nps.latestByUser(dialog.userId);
    // A changed score keeps the words already given for this period's answer.
    const words = before && now - before.respondedAt < NPS_PERIOD ? before.comment : null;
    const { response } = await recordNpsAnswer(
      repositories,
      { userId: dialog.userId, score, comment: words, source: 'bot' },
      now,
    );
    if (press) {
      dialog.turn.answerPress({
        eventId: press.pressId,
        userId: dialog.userId,
        peerId: dialog.userId,
        snackbarText: dialog.text('nps.thanks'),
      });
    }
    const back = dialog.state === 'with_operator' ? 'with_operator' : (dialog.data.nps?.back ?? 'idle');
    if (words) {
      dialog.reset(back, { nps: undefined });
      this.#say(dialog, dialog.text('nps.changed', { score }));
      return 'nps_rescored';
    }
    dialog.reset('nps_comment', { nps: { since: now, respondedAt: response.respondedAt, back } });
    const question = npsGroup(score) === 'promoter' ? 'nps.comment.like' : 'nps.comment.improve';
    this.#say(dialog, `${dialog.text('nps.rated', { score })}\n\n${dialog.text(question)}`);
    return 'nps_rated';
  }

  /**
   * A score typed instead of pressed ("7", "7/10", "7 из 10"): counts while the survey is open — sent
   * within a week, not answered since, and no other buttons offered since (the survey is the bot's
   * last question). Null when the text is no score or no survey is open.
   */
  async typedScore(dialog: Dialog, text: string): Promise<Outcome | null> {
    const score = typedNpsScoreOf(text);
    // A number off the scale ("11", "100") while the survey is open gets the scale again, not the menu.
    const offScale = score === null && /^\s*\d{1,4}\s*[!.]*\s*$/u.test(text);
    if (score === null && !offScale) return null;
    const { repositories, now } = dialog.turn;
    const askedAt = await repositories.nps.askedAt(dialog.userId);
    if (askedAt === null || now - askedAt > TYPED_SCORE_WINDOW) return null;
    if ((dialog.data.choicesAt ?? 0) > askedAt) return null;
    const latest = await repositories.nps.latestByUser(dialog.userId);
    if (latest && latest.respondedAt >= askedAt) return null;
    if (score === null) {
      this.#say(dialog, dialog.text('nps.typed'));
      return 'nps_off_scale';
    }
    return this.answer(dialog, { c: 'nps', s: score }, null);
  }

  /** Leaves the follow-up question (a button pressed meanwhile): back where the dialog was. */
  leave(dialog: Dialog): void {
    if (dialog.state === 'nps_comment') dialog.reset(dialog.data.nps?.back ?? 'idle', { nps: undefined });
  }

  async #comment(dialog: Dialog, text: string): Promise<Outcome | null> {
    const pending = dialog.data.nps;
    const { repositories, now } = dialog.turn;
    const words = text.trim();
    this.leave(dialog);
    if (!pending || now - pending.since > NPS_COMMENT_WAIT || !words) return null;
    // The answer asked about, or one given since (in the app): the words go with the latest.
    const latest = await repositories.nps.latestByUser(dialog.userId);
    if (!latest || latest.respondedAt < pending.respondedAt) return null;
    await repositories.nps.put({ ...latest, comment: words.slice(0, NPS_COMMENT_LIMIT) });
    dialog.say(dialog.text('nps.comment.thanks'));
    return 'nps_comment_recorded';
  }

  /** A message that also hides the survey's keyboard; the buttons of earlier messages no longer pick. */
  #say(dialog: Dialog, text: string): void {
    dialog.data.choices = undefined;
    dialog.data.choicesAt = undefined;
    dialog.turn.send({
      peerId: dialog.userId,
      text,
      ...(dialog.client.keyboard ? { keyboard: HIDE_KEYBOARD } : {}),
    });
  }

  /** A snackbar for a callback press; a message for a text button or typed score. */
  #acknowledge(dialog: Dialog, press: { pressId: string } | null, text: string): void {
    if (press) {
      dialog.turn.answerPress({
        eventId: press.pressId,
        userId: dialog.userId,
        peerId: dialog.userId,
        snackbarText: text,
      });
    } else {
      dialog.say(text);
    }
  }
}

/** A score as people type it: 0–10 alone or out of ten ("7", "7/10", "7 из 10", "10!"). */
export function typedNpsScoreOf(text: string): number | null {
  const match = /^(10|[0-9])(?:\s*(?:\/|из|of|out of)\s*10)?\s*[!.]*$/iu.exec(text.trim());
  return match ? Number(match[1]) : null;
}
