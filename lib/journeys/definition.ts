import content from '../../content/campaigns.json';
import {
  CAMPAIGN_VARIABLES,
  CONTROL,
  eventNamesIn,
  type JourneyDefinition,
  parseJourneys,
  renderCampaignText,
} from '../campaigns/campaign';
import { type CompiledTemplate, compileTemplate } from '../i18n/template';
import type { NewJob } from '../queue/jobs';
import type { Language } from '../storage/port';
import { supportSettings } from '../support/settings';

/**
 * Journeys: event-triggered campaigns (`journeys` in `content/campaigns.json`). A trigger event starts
 * a run for its user on arrival (`enterJourneys`); each step then waits as a deferred job of kind
 * `journey-step` (`runJourneyStep`), re-checks the exit and its condition, and sends a community
 * message or a mini app notification.
 */

export const JOURNEY_STEP_JOB = 'journey-step';

/**
 * The goal a filed ticket counts as: the app sends no event when its form is submitted, so the
 * ticket's filing (POST /api/tickets) is reported to lib/journeys/goals.ts under this name.
 */
export const TICKET_FILED_EVENT = 'ticket_created';

type StepDefinition = JourneyDefinition['variants'][number]['steps'][number];

export interface JourneyStep extends Omit<StepDefinition, 'texts'> {
  templates: Record<Language, CompiledTemplate[]>;
}

export interface JourneyVariant {
  id: string;
  weight: number;
  steps: JourneyStep[];
}

export interface Journey extends Omit<JourneyDefinition, 'variants'> {
  variants: JourneyVariant[];
  /** The variants' weights summed: the split among users outside the control group. */
  totalWeight: number;
}

export function compileJourneys(source: unknown): Journey[] {
  return parseJourneys(source).map((definition) => ({
    ...definition,
    totalWeight: definition.variants.reduce((sum, variant) => sum + variant.weight, 0),
    variants: definition.variants.map((variant) => ({
      ...variant,
      steps: variant.steps.map((step, index) => {
        const { texts, ...rest } = step;
        const name = `${definition.id}/${variant.id}/${index}`;
        const compile = (language: Language) =>
          texts[language].map((text, alternative) =>
            compileTemplate(text, CAMPAIGN_VARIABLES, `${name}/${language}/${alternative}`),
          );
        return { ...rest, templates: { ru: compile('ru'), en: compile('en') } };
      }),
    })),
  }));
}

/**
 * The steps a run of `variant` goes through. The control group's runs walk the first variant's steps
 * (recording `control` at each, sending nothing); a variant since removed from content has none.
 */
export function journeySteps(journey: Journey, variant: string): readonly JourneyStep[] {
  if (variant === CONTROL) return journey.variants[0]!.steps;
  return journey.variants.find((candidate) => candidate.id === variant)?.steps ?? [];
}

/** Every step of every variant, for the checks that look at them all. */
export function allJourneySteps(
  journey: Journey,
): Array<{ variant: string; index: number; step: JourneyStep }> {
  return journey.variants.flatMap((variant) =>
    variant.steps.map((step, index) => ({ variant: variant.id, index, step })),
  );
}

let shipped: readonly Journey[] | undefined;

/** The shipped journeys, compiled on first use (as `shippedCampaigns`). */
export function shippedJourneys(): readonly Journey[] {
  shipped ??= compileJourneys(content);
  return shipped;
}

/** The deep link of a journey's step: the mini app reads `journey`, `variant` and `step` from it. */
export function journeyFragment(journey: Journey, variant: string, step: number): string {
  const base = journey.fragment;
  return `${base}${base.includes('?') ? '&' : '?'}journey=${journey.id}&variant=${variant}&step=${step}`;
}

/** The rendered texts of a step for a user, in their language: the first one, then the alternatives. */
export function stepTexts(step: JourneyStep, language: Language, firstName: string | null): string[] {
  return step.templates[language].map((template) => renderCampaignText(template, firstName));
}

export interface JourneyStepPayload {
  userId: number;
  journey: string;
  runId: string;
  step: number;
}

/** The deferred job of one step of one run: its id is the step's key, so it is created once. */
export function journeyStepJob(payload: JourneyStepPayload, dueAt: number): NewJob {
  return {
    jobId: `journey:${payload.journey}:${payload.userId}:${payload.runId}:${payload.step}`,
    kind: JOURNEY_STEP_JOB,
    payload: { ...payload },
    dueAt,
  };
}

/** VK's cap on a community message's text. */
const MESSAGE_LIMIT = 4096;

/** What the build refuses in journeys beyond their schema: unknown events, texts too long. */
export function journeyProblems(list: readonly Journey[], notificationLimit: number): string[] {
  const known = new Set(supportSettings.eventNames);
  const problems: string[] = [];
  for (const journey of list) {
    const names = [
      journey.trigger,
      ...journey.exitOn,
      ...allJourneySteps(journey).flatMap(({ step }) => (step.when ? eventNamesIn(step.when) : [])),
    ];
    // A ticket filed counts as a goal too, though no event of the app's names it.
    if (journey.goal && journey.goal.event !== TICKET_FILED_EVENT) names.push(journey.goal.event);
    for (const name of names)
      if (name !== '*' && !known.has(name))
        problems.push(`journey ${journey.id}: event ${name} is not in eventNames`);
    if (journey.exitOn.includes(journey.trigger))
      problems.push(`journey ${journey.id}: the trigger can't be an exit event`);
    for (const { variant, index, step } of allJourneySteps(journey)) {
      const where = `journey ${journey.id}/${variant}/${index}`;
      const limit = step.channel === 'message' ? MESSAGE_LIMIT : notificationLimit;
      for (const language of ['ru', 'en'] as const) {
        for (const template of step.templates[language]) {
          if (template.required.length > 0)
            problems.push(`${where}: {${template.required[0]}} needs a fallback`);
          const rendered = renderCampaignText(template, 'Ю'.repeat(32));
          if (rendered.length > limit)
            problems.push(`${where}/${language}: ${rendered.length} characters rendered (limit ${limit})`);
        }
      }
    }
  }
  return problems;
}
