import content from '../../content/campaigns.json';
import {
  compileJourneys,
  journeyProblems,
  journeySteps,
  shippedJourneys,
} from '../../lib/journeys/definition';

const step = (ru: string, waitMinutes = 60) => ({
  waitMinutes,
  channel: 'auto',
  texts: { ru: [ru], en: ['Hi'] },
});
const journey = (fields: Record<string, unknown>) => ({
  campaigns: [],
  journeys: [
    {
      id: 'demo',
      kind: 'journey',
      description: 'A demo journey',
      type: 'reminders',
      trigger: 'quiz_start',
      fragment: 'quiz',
      ...fields,
    },
  ],
});

describe('journey definitions (content/campaigns.json)', () => {
  it('the shipped journeys pass the build check; quiz-dropout A/B-tests its text', () => {
    expect(journeyProblems(shippedJourneys(), 254)).toEqual([]);
    const quiz = compileJourneys(content).find((candidate) => candidate.id === 'quiz-dropout')!;
    expect(quiz.variants.map((variant) => variant.id)).toEqual(['a', 'b']);
    expect(quiz.totalWeight).toBe(2);
  });

  it('one list of steps is variant a; variants each bring their own steps', () => {
    const [single] = compileJourneys(journey({ steps: [step('Привет')] }));
    expect(single!.variants).toEqual([expect.objectContaining({ id: 'a', weight: 1 })]);
    const [split] = compileJourneys(
      journey({
        variants: [
          { id: 'fast', weight: 3, steps: [step('Быстро', 20)] },
          { id: 'slow', steps: [step('Медленно', 120), step('Ещё раз', 60)] },
        ],
      }),
    );
    expect(split!.totalWeight).toBe(4);
    expect(journeySteps(split!, 'fast').map((s) => s.waitMinutes)).toEqual([20]);
    expect(journeySteps(split!, 'slow').map((s) => s.waitMinutes)).toEqual([120, 60]);
    // The control group walks the first variant's steps (sending nothing); an unknown variant has none.
    expect(journeySteps(split!, 'control')).toBe(journeySteps(split!, 'fast'));
    expect(journeySteps(split!, 'gone')).toEqual([]);
  });

  it.each([
    ['both steps and variants', { steps: [step('a')], variants: [{ id: 'a', steps: [step('a')] }] }],
    ['neither', {}],
    [
      'two variants of one id',
      {
        variants: [
          { id: 'a', steps: [step('a')] },
          { id: 'a', steps: [step('b')] },
        ],
      },
    ],
    ['a variant named control', { variants: [{ id: 'control', steps: [step('a')] }] }],
    ['a variant without steps', { variants: [{ id: 'a', steps: [] }] }],
  ])('refuses %s', (_, fields) => {
    expect(() => compileJourneys(journey(fields))).toThrow();
  });

  it('names the variant and step of a text the build refuses', () => {
    const [long] = compileJourneys(
      journey({
        variants: [
          { id: 'a', steps: [step('ok')] },
          { id: 'b', steps: [step('Ю'.repeat(300))] },
        ],
      }),
    );
    expect(journeyProblems([long!], 254)).toEqual([
      expect.stringMatching(/^journey demo\/b\/0\/ru: \d+ characters/),
    ]);
  });
});
