import { parseTimerPayload } from '../../lib/dispatcher/timer-payload';

describe("the dispatcher timer's payload", () => {
  it('runs the whole day without a payload', () => {
    expect(parseTimerPayload(undefined)).toEqual({ options: {} });
    expect(parseTimerPayload('')).toEqual({ options: {} });
    expect(parseTimerPayload('  \n')).toEqual({ options: {} });
  });

  it('runs one campaign for {"campaign":"<id>"}, ignoring other keys', () => {
    expect(parseTimerPayload('{"campaign":"winback"}')).toEqual({ options: { campaign: 'winback' } });
    expect(parseTimerPayload('{"campaign":"winback","note":"ops"}')).toEqual({
      options: { campaign: 'winback' },
    });
    expect(parseTimerPayload('{}')).toEqual({ options: {} });
  });

  it('accepts a payload that is not JSON: the whole day runs, and the reason is given for the log', () => {
    const { options, reason } = parseTimerPayload('campaign=winback');
    expect(options).toEqual({});
    expect(reason).toMatch(/^not JSON: /);
  });

  it.each([
    ['a campaign that is not a string', '{"campaign":5}', /campaign: /],
    ['an empty campaign', '{"campaign":""}', /campaign: /],
    ['an array', '["winback"]', /^not \{"campaign":"<id>"\}: /],
    ['a string', '"winback"', /^not \{"campaign":"<id>"\}: /],
    ['null', 'null', /^not \{"campaign":"<id>"\}: /],
  ])('ignores %s with a reason', (_what, payload, reason) => {
    const parsed = parseTimerPayload(payload);
    expect(parsed.options).toEqual({});
    expect(parsed.reason).toMatch(reason);
  });
});
