import {
  type CsatSettings,
  isLowRating,
  lowRatingReasons,
  RatingError,
  REASON_TEXT,
  ratingLabel,
  recordRating,
  recordReason,
  scaleChoices,
  surveyIdFor,
} from '../csat/survey';
import { render } from '../i18n/catalog';
import type { Logger } from '../log/logger';
import type { Language, SurveyScale, TicketRecord } from '../storage/port';
import type { Dialog } from './dialog';
import type { Button } from './keyboard';
import type { ButtonPayload } from './payload';

export type SurveyPayload = Extract<ButtonPayload, { c: 'csat' | 'csat_why' }>;

/** A callback press (answered with a snackbar, its message edited); null for a text button's message. */
export interface SurveyPress {
  pressId: string;
  messageId: number | null;
}

/** The survey's buttons: the scale's values, red to green, in one row. */
export function surveyButtons(scale: SurveyScale, number: string, resolution: number): Button[][] {
  return [
    scaleChoices(scale).map(({ rating, color }) => ({
      label: ratingLabel(scale, rating),
      payload: { c: 'csat', t: number, n: resolution, r: rating },
      color,
    })),
  ];
}

/** "What went wrong?" as buttons, two by two. */
export function reasonButtons(language: Language, number: string, resolution: number): Button[][] {
  const buttons: Button[] = lowRatingReasons.map((reason) => ({
    label: render(language, `csat.reason.${reason}`),
    payload: { c: 'csat_why', t: number, n: resolution, w: reason },
    color: reason === 'other' ? 'secondary' : 'primary',
  }));
  return [buttons.slice(0, 2), buttons.slice(2)];
}

/** An inline keyboard with no buttons: an edited survey keeps no buttons to press again. */
const NO_BUTTONS = { inline: true, buttons: [] };

/**
 * The user's side of a CSAT survey in the dialog: a rating press (callback or text button), the
 * reason of a low one, and the reason in their own words. Runs inside the update's transaction like
 * the rest of the bot; a press on a survey that was answered or is no longer open changes nothing.
 */
export class SurveyAnswers {
  constructor(readonly deps: { settings: CsatSettings; logger: Logger }) {}

  async answer(dialog: Dialog, payload: SurveyPayload, press: SurveyPress | null): Promise<string> {
    const ticket = await dialog.turn.repositories.tickets.getByNumber(payload.t);
    if (!ticket || ticket.userId !== dialog.userId) {
      // Someone else's ticket (a forged payload) reads the same as a closed survey.
      this.#acknowledge(dialog, press, 'csat.closed');
      return 'csat_closed';
    }
    return payload.c === 'csat'
      ? this.#rate(dialog, ticket, payload, press)
      : this.#reason(dialog, ticket, payload, press);
  }

  /**
   * A rating typed instead of pressed ("4", "5/5", "⭐⭐⭐⭐", "👍") for the survey of the dialog's
   * ticket, when the survey is the last question the user was asked (no buttons offered since it was
   * sent). A rating for a survey already answered is told so, not taken as words for the ticket. Null
   * when the text is no rating or no survey is the last question.
   */
  async typedRating(dialog: Dialog, text: string): Promise<string | null> {
    const number = dialog.data.ticket;
    if (!number || !text) return null;
    const { repositories } = dialog.turn;
    const ticket = await repositories.tickets.getByNumber(number);
    if (!ticket || ticket.userId !== dialog.userId) return null;
    const latest = (await repositories.surveys.listByTicket(ticket.ticketId))
      .filter((survey) => survey.status === 'sent' || survey.status === 'answered')
      .sort((a, b) => b.updatedAt - a.updatedAt)[0];
    if (!latest || latest.updatedAt <= (dialog.data.choicesAt ?? 0)) return null;
    const rating = typedRatingOf(text, latest.scale);
    if (rating === null) return null;
    if (latest.status === 'answered') {
      dialog.say(dialog.text('csat.already'));
      return 'csat_already_rated';
    }
    const resolution = Number(latest.surveyId.split(':').at(-1));
    if (!Number.isInteger(resolution)) return null;
    return this.answer(dialog, { c: 'csat', t: ticket.number, n: resolution, r: rating }, null);
  }

  /**
   * Text while the dialog waits for a low rating's reason in the user's words; null when it no
   * longer waits (the bot then treats the text as usual).
   */
  async reasonInWords(dialog: Dialog, text: string): Promise<string | null> {
    const pending = dialog.data.csat;
    const { now, repositories } = dialog.turn;
    // Back to where the dialog was: one with its ticket still takes the user's messages to it.
    const resume = () => dialog.reset(pending?.back ?? 'idle', { ticket: dialog.data.ticket });
    if (!pending || now - pending.since > this.deps.settings.reasonWaitMs) {
      resume();
      return null;
    }
    if (text.length < REASON_TEXT.min) {
      dialog.say(dialog.text('csat.why.too_short'));
      return 'csat_reason_too_short';
    }
    if (text.length > REASON_TEXT.max) {
      dialog.say(dialog.text('csat.why.too_long', { max: REASON_TEXT.max }));
      return 'csat_reason_too_long';
    }
    const ticket = await repositories.tickets.getByNumber(pending.t);
    const survey =
      ticket && ticket.userId === dialog.userId
        ? await repositories.surveys.get(surveyIdFor(ticket.ticketId, pending.n))
        : null;
    resume();
    if (!survey) return 'csat_reason_lost';
    await recordReason(repositories, dialog.turn.outbox, survey, { code: 'other', text }, now);
    dialog.say(dialog.text('csat.why.thanks'));
    return 'csat_reason_recorded';
  }

  async #rate(
    dialog: Dialog,
    ticket: TicketRecord,
    payload: Extract<SurveyPayload, { c: 'csat' }>,
    press: SurveyPress | null,
  ): Promise<string> {
    const { turn } = dialog;
    let scale: SurveyScale;
    try {
      const survey = await recordRating(
        turn.repositories,
        turn.outbox,
        ticket,
        { rating: payload.r, resolution: payload.n, channel: 'message' },
        turn.now,
        this.deps.settings,
      );
      scale = survey.scale;
    } catch (error) {
      if (!(error instanceof RatingError)) throw error;
      this.#acknowledge(dialog, press, error.code === 'already_rated' ? 'csat.already' : 'csat.closed');
      return `csat_${error.code}`;
    }
    const low = isLowRating(payload.r);
    if (press) {
      turn.answerPress({
        eventId: press.pressId,
        userId: dialog.userId,
        peerId: dialog.userId,
        snackbarText: dialog.text('csat.thanks'),
      });
      if (press.messageId !== null) {
        turn.edit({
          peerId: dialog.userId,
          conversationMessageId: press.messageId,
          text: dialog.text('csat.rated', { number: ticket.number, rating: ratingLabel(scale, payload.r) }),
          keyboard: NO_BUTTONS,
        });
      }
    }
    if (low) {
      // A reason button, or the reason in the user's own words: both count.
      const back = dialog.state === 'with_operator' ? 'with_operator' : 'idle';
      dialog.reset('csat_reason', { csat: { t: ticket.number, n: payload.n, since: turn.now, back } });
      dialog.say(dialog.text('csat.why'), reasonButtons(dialog.language, ticket.number, payload.n));
      return 'csat_rated_low';
    }
    const { reviewUrl } = this.deps.settings;
    if (reviewUrl) dialog.say(dialog.text('csat.thanks.review', { url: reviewUrl }));
    else if (!press) dialog.say(dialog.text('csat.thanks'));
    return 'csat_rated';
  }

  async #reason(
    dialog: Dialog,
    ticket: TicketRecord,
    payload: Extract<SurveyPayload, { c: 'csat_why' }>,
    press: SurveyPress | null,
  ): Promise<string> {
    const { turn } = dialog;
    const survey = await turn.repositories.surveys.get(surveyIdFor(ticket.ticketId, payload.n));
    if (!survey) {
      this.#acknowledge(dialog, press, 'csat.closed');
      return 'csat_closed';
    }
    const changed = await recordReason(turn.repositories, turn.outbox, survey, { code: payload.w }, turn.now);
    if (!changed) {
      this.#acknowledge(dialog, press, 'csat.why.already');
      return 'csat_reason_already';
    }
    if (press?.messageId) {
      turn.edit({
        peerId: dialog.userId,
        conversationMessageId: press.messageId,
        text: `${dialog.text('csat.why')}\n→ ${dialog.text(`csat.reason.${payload.w}`)}`,
        keyboard: NO_BUTTONS,
      });
    }
    if (payload.w === 'other') {
      const back = dialog.data.csat?.back ?? (dialog.state === 'with_operator' ? 'with_operator' : 'idle');
      dialog.reset('csat_reason', {
        ticket: dialog.data.ticket,
        csat: { t: ticket.number, n: payload.n, since: turn.now, back },
      });
      dialog.say(dialog.text('csat.why.other'));
      return 'csat_reason_asked';
    }
    // The reason is in: the dialog no longer waits for it in words.
    if (dialog.state === 'csat_reason') dialog.reset(dialog.data.csat?.back ?? 'idle', { csat: undefined });
    if (press) this.#acknowledge(dialog, press, 'csat.why.thanks');
    else dialog.say(dialog.text('csat.why.thanks'));
    return 'csat_reason_recorded';
  }

  /** A snackbar for a callback press; a message for a text button (it has no other answer). */
  #acknowledge(
    dialog: Dialog,
    press: SurveyPress | null,
    key: 'csat.closed' | 'csat.already' | 'csat.why.already' | 'csat.why.thanks',
  ): void {
    if (press) {
      dialog.turn.answerPress({
        eventId: press.pressId,
        userId: dialog.userId,
        peerId: dialog.userId,
        snackbarText: dialog.text(key),
      });
    } else {
      dialog.say(dialog.text(key));
    }
  }
}

/**
 * A rating as people type it: on the five-point scale a digit 1–5 alone or out of five ("4", "4/5",
 * "4 из 5") or as many stars; on the thumbs scale 👍 or 👎 (stored as 5 and 1).
 */
export function typedRatingOf(text: string, scale: SurveyScale): number | null {
  const trimmed = text.trim();
  if (scale === 'thumbs') {
    if (/^👍[\u{1F3FB}-\u{1F3FF}]?$/u.test(trimmed)) return 5;
    if (/^👎[\u{1F3FB}-\u{1F3FF}]?$/u.test(trimmed)) return 1;
    return null;
  }
  const digits = /^([1-5])(?:\s*(?:\/|из|of|out of)\s*5)?\s*[!.]*$/iu.exec(trimmed);
  if (digits) return Number(digits[1]);
  const stars = /^(?:⭐️?){1,5}$/u.exec(trimmed);
  if (stars) return [...trimmed.matchAll(/⭐/gu)].length;
  return null;
}
