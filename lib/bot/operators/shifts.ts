import { endShift, shiftsOf, startShift } from '../../tickets/shifts';
import type { Turn } from '../turn';
import { type Operator, type OperatorsArea, operatorName } from './context';

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
 * of the chat go round the operators on shift (lib/tickets/shifts.ts).
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
    switch (SHIFT_WORDS[word]) {
      case 'on': {
        const started = await startShift(
          turn.repositories,
          { chatPeerId, operatorId: operator.operatorId, name: operator.name },
          turn.now,
        );
        return started
          ? voice.say(turn, 'ops.shift.on', variables, 'shift_started')
          : voice.say(turn, 'ops.shift.on.already', variables, 'shift_already_on');
      }
      case 'off': {
        const ended = await endShift(turn.repositories, chatPeerId, operator.operatorId);
        return ended
          ? voice.say(turn, 'ops.shift.off', variables, 'shift_ended')
          : voice.say(turn, 'ops.shift.off.already', variables, 'shift_already_off');
      }
      default:
        return voice.say(turn, 'ops.shift.usage', {}, 'shift_usage');
    }
  }

  async #list(turn: Turn, chatPeerId: number): Promise<string> {
    const { voice } = this.#area;
    const shifts = await shiftsOf(turn.repositories, chatPeerId);
    if (shifts.length === 0) return voice.say(turn, 'ops.shift.nobody', {}, 'shift_listed');
    const list = shifts
      .map((shift) => `${shift.name ?? `id${shift.operatorId}`} (${voice.moment(turn, shift.onSince)})`)
      .join(', ');
    return voice.say(turn, 'ops.shift.list', { list }, 'shift_listed');
  }
}
