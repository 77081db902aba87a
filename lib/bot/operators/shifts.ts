import { shiftEndsAt } from '../../tickets/routing';
import { endShift, shiftsOf, startShift } from '../../tickets/shifts';
import type { Turn } from '../turn';
import { type Operator, type OperatorsArea, operatorName } from './context';
import { opsText } from './voice';

/** What `/shift` and `/смена` take after them: on, off, or nothing (who is on shift). */
const SHIFT_WORDS: Readonly<Record<string, 'on' | 'off'>> = {
  on: 'on',
  off: 'off',
  вкл: 'on',
  выкл: 'off',
};

/** The command names, in the team's languages. */
export const SHIFT_COMMANDS: ReadonlySet<string> = new Set(['shift', 'смена']);

/**
 * Operators on shift in their chat: `/shift on` (`/смена вкл`) and `/shift off` (`/смена выкл`) in an
 * operators' chat start and end the sender's shift there, `/shift` lists who is on it. New tickets
 * of the chat go round the operators on shift (lib/tickets/shifts.ts). A shift also ends on its own
 * after OPERATOR_SHIFT_HOURS, and when its operator leaves or is removed from the chat.
 */
export class ChatShifts {
  readonly #area: OperatorsArea;

  constructor(area: OperatorsArea) {
    this.#area = area;
  }

  async command(turn: Turn, argument: string, operator: Operator): Promise<string> {
    const { voice } = this.#area;
    const chatPeerId = voice.peerId;
    if (chatPeerId === undefined) return 'no_chat';
    const word = argument.trim().toLowerCase();
    if (word === '') return this.#list(turn, chatPeerId);
    const variables = { operator_name: operatorName(operator) };
    const { shiftMs } = this.#area.settings.chats;
    switch (SHIFT_WORDS[word]) {
      case 'on': {
        const started = await startShift(
          turn.repositories,
          { chatPeerId, operatorId: operator.operatorId, name: operator.name },
          turn.now,
          shiftMs,
        );
        const shift = await turn.repositories.shifts.get(chatPeerId, operator.operatorId);
        const until = voice.moment(turn, shiftEndsAt(shift ?? { onSince: turn.now }, shiftMs));
        return started
          ? voice.say(turn, 'ops.shift.on', { ...variables, until }, 'shift_started')
          : voice.say(turn, 'ops.shift.on.already', { ...variables, until }, 'shift_already_on');
      }
      case 'off': {
        const ended = await endShift(turn.repositories, chatPeerId, operator.operatorId, turn.now, shiftMs);
        return ended
          ? voice.say(turn, 'ops.shift.off', variables, 'shift_ended')
          : voice.say(turn, 'ops.shift.off.already', variables, 'shift_already_off');
      }
      default:
        return voice.say(turn, 'ops.shift.usage', {}, 'shift_usage');
    }
  }

  /**
   * A member left the chat or was removed from it: their shift there ends (they can't answer its
   * tickets any more), said in the chat if they were on it.
   */
  async memberLeft(turn: Turn, memberId: number): Promise<string> {
    const { voice, settings } = this.#area;
    const chatPeerId = voice.peerId;
    if (chatPeerId === undefined) return 'no_chat';
    const shift = await turn.repositories.shifts.get(chatPeerId, memberId);
    const ended = await endShift(turn.repositories, chatPeerId, memberId, turn.now, settings.chats.shiftMs);
    if (!ended) return 'member_left';
    const operator_name = shift?.name ?? `id${memberId}`;
    return voice.say(turn, 'ops.shift.left', { operator_name }, 'member_left:shift_ended');
  }

  async #list(turn: Turn, chatPeerId: number): Promise<string> {
    const { voice, settings } = this.#area;
    const { shiftMs } = settings.chats;
    const shifts = await shiftsOf(turn.repositories, chatPeerId, turn.now, shiftMs);
    if (shifts.length === 0) return voice.say(turn, 'ops.shift.nobody', {}, 'shift_listed');
    const list = shifts
      .map((shift) =>
        opsText('ops.shift.list.item', {
          operator_name: shift.name ?? `id${shift.operatorId}`,
          since: voice.moment(turn, shift.onSince),
          until: voice.moment(turn, shiftEndsAt(shift, shiftMs)),
        }),
      )
      .join(', ');
    return voice.say(turn, 'ops.shift.list', { list }, 'shift_listed');
  }
}
