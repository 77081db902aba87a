import { DAY } from '../../lib/clock';
import { type BotStack, startBotStack, WEDNESDAY_NOON_MSK } from '../support/bot-harness';

jest.setTimeout(60_000);

/**
 * `POST /dev/dispatch` on the local stack: the stack's own timer runs the day's dispatch every minute
 * after 09:00 UTC, so by the time a developer has set up a user the day's run is done. By hand it
 * runs again, reaching only who was not reached.
 */
describe('POST /dev/dispatch', () => {
  let bot: BotStack;
  beforeEach(async () => {
    bot = await startBotStack({ start: WEDNESDAY_NOON_MSK, campaigns: [] });
  });
  afterEach(async () => {
    await bot.close();
  });

  const dispatch = async () => {
    const response = await fetch(`${bot.stack.url}/dev/dispatch`, { method: 'POST' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      started: boolean;
      reopened: string[];
      npsSurvey: { started: boolean; report?: { asked: number } };
    };
    await bot.settle();
    return body;
  };

  it('runs the day again after the timer finished it, asking the user set up since and nobody twice', async () => {
    const first = await dispatch(); // as the timer would have, before anyone was set up
    expect(first).toMatchObject({ started: true, reopened: [], npsSurvey: { started: true } });

    // A user set up afterwards: active in the app yesterday, writing to the community.
    const user = 7401;
    const at = new Date(bot.clock.now() - DAY).toISOString();
    await bot.api('POST', '/api/events', { user, body: { events: [{ id: 'open', name: 'app_open', at }] } });
    await bot.says(user, 'привет');

    const second = await dispatch();
    expect(second.reopened).toEqual(['dispatch:2026-11-18', 'nps-survey:2026-11-18']);
    expect(second).toMatchObject({ started: true, npsSurvey: { started: true, report: { asked: 1 } } });
    const surveys = () => bot.sentTo(user).filter((message) => message.text.includes('от 0 до 10'));
    expect(surveys()).toHaveLength(1);

    // Again: the day's count of asked users stays 1, and no second message goes.
    const third = await dispatch();
    expect(third.npsSurvey.report?.asked).toBe(1);
    expect(surveys()).toHaveLength(1);
  });
});
