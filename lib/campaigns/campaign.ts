import * as z from 'zod';
import content from '../../content/campaigns.json';
import { type CompiledTemplate, compileTemplate, renderTemplate } from '../i18n/template';
import type { Language } from '../storage/port';
import { supportSettings } from '../support/settings';

/**
 * Re-engagement campaigns: declarative content in `content/campaigns.json`, parsed here once and
 * checked again by `npm run build` (scripts/check-content.ts) for what zod can't see: event names
 * from the allow-list, rendered lengths and fragment lengths.
 */

/** `[from, to]` days ago: an instant in `(now - to days, now - from days]`. "1–3 days ago" is `[1, 3]`. */
const daysAgo = z
  .tuple([z.number().int().min(0).max(90), z.number().int().min(1).max(90)])
  .refine(([from, to]) => from < to, 'must be [from, to] days ago with from < to');

const eventName = z.string().regex(/^(\*|[a-z][a-z0-9_]{0,63})$/, 'must be an event name or *');

export type Condition =
  | { event: string; daysAgo: [number, number]; after?: string; atLeast?: number }
  | { ticket: 'resolved_unrated'; daysAgo: [number, number] }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

/**
 * A segment rule over a user's logged events and facts:
 * - `{event, daysAgo, after?, atLeast?}`: at least `atLeast` (1) events named `event` (`*`: any) in
 *   the window, counting only those after the user's latest `after` event ("no quiz_finish since
 *   quiz_start" is `not` of `{event: quiz_finish, after: quiz_start}`);
 * - `{ticket: resolved_unrated, daysAgo}`: a ticket resolved in the window and not rated;
 * - `all`, `any`, `not` combine them.
 */
export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({
      event: eventName,
      daysAgo,
      after: eventName.optional(),
      atLeast: z.number().int().min(1).max(1000).optional(),
    }),
    z.strictObject({ ticket: z.literal('resolved_unrated'), daysAgo }),
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
) as z.ZodType<Condition>;

/** The longest goal window, in hours: a week, like the returns' window. */
export const GOAL_WINDOW_HOURS = 168;

/** Personal variables a campaign text may use; each needs a fallback (`{first_name|друг}`). */
export const CAMPAIGN_VARIABLES: ReadonlySet<string> = new Set(['first_name']);
/** The control group's variant name: planned and measured, never sent. */
export const CONTROL = 'control';

const texts = z.array(z.string().trim().min(1)).min(1).max(5);
const variantSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9]{1,16}$/, 'must be 1–16 lowercase letters or digits')
    .refine((id) => id !== CONTROL, `"${CONTROL}" is the control group's name`),
  weight: z.number().int().min(1).max(1000),
  /** Alternatives per language: the first one that differs from the user's last notification goes. */
  texts: z.strictObject({ ru: texts, en: texts }),
  /** Send at this local time ("HH:MM", the user's timezone) of the plan's day instead of at the run. */
  sendAt: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM')
    .optional(),
});

const campaignFields = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be 2–40 lowercase letters, digits or dashes'),
  description: z.string().min(1),
  enabled: z.boolean().default(true),
  /** The preference that must be on: `reminders` or `news`. */
  type: z.enum(['reminders', 'news']),
  /** Higher first: a user matching several campaigns gets the highest one. */
  priority: z.number().int(),
  /** Days before the same user may be picked for this campaign again (control group included). */
  cooldownDays: z.number().int().min(1).max(365),
  segment: conditionSchema,
  /** Checked again just before sending: a user who meets it by then is skipped. */
  exit: conditionSchema.optional(),
  /** The deep link after `#` in the app URL; `campaign` and `variant` are appended. */
  fragment: z.string().min(1).max(1900),
  /** Share of the segment held out as the control group, in percent. */
  controlPercent: z.number().min(0).max(50).default(0),
  /**
   * What the campaign is for: the user does `event` within `withinHours` after the plan (the
   * results' conversions, per variant and control). At most a week: responses are matched to the
   * deliveries of the last 7 days.
   */
  goal: z
    .strictObject({ event: eventName, withinHours: z.number().int().min(1).max(GOAL_WINDOW_HOURS) })
    .optional(),
  /**
   * How it goes: `notification` (a mini app notification, the default), `message` (a community
   * message, to users who allowed messages only; `type` doesn't apply) or `auto` (the message where
   * allowed, else the notification).
   */
  channel: z.enum(['notification', 'message', 'auto']).default('notification'),
  /**
   * Only users who allowed messages through this `message_allow` key (Senler's subscription lists);
   * with `message` or `auto` only.
   */
  subscriptionKey: z.string().min(1).max(100).optional(),
  variants: z
    .array(variantSchema)
    .min(1)
    .max(10)
    .refine(
      (variants) => new Set(variants.map((v) => v.id)).size === variants.length,
      'variant ids must differ',
    ),
});

const campaignSchema = campaignFields.refine(
  (campaign) => campaign.subscriptionKey === undefined || campaign.channel !== 'notification',
  {
    message: 'subscriptionKey needs channel message or auto (notifications have no subscription lists)',
    path: ['subscriptionKey'],
  },
);

/** The longest wait before a journey's step: 30 days. */
const MAX_WAIT_MINUTES = 30 * 24 * 60;

const journeyStepSchema = z.strictObject({
  /** Minutes after the trigger (first step) or the previous step; a step due in quiet hours waits more. */
  waitMinutes: z.number().int().min(1).max(MAX_WAIT_MINUTES),
  /** Checked just before the step (windows count back from then): unmet, the step is skipped. */
  when: conditionSchema.optional(),
  /**
   * `message`: a community message (users who allowed messages only); `notification`: a mini app
   * notification; `auto`: the message where allowed, else the notification.
   */
  channel: z.enum(['auto', 'message', 'notification']).default('auto'),
  /** Alternatives per language: a message takes the first, a notification the first not repeating the last one. */
  texts: z.strictObject({ ru: texts, en: texts }),
});

const journeySteps = z.array(journeyStepSchema).min(1).max(10);

/** One arm of a journey's A/B test: its own steps (texts, waits, channels, send times may differ). */
const journeyVariantSchema = z.strictObject({
  id: variantSchema.shape.id,
  weight: z.number().int().min(1).max(1000).default(1),
  steps: journeySteps,
});

/**
 * An event-triggered campaign: the trigger event starts a run for its user (one at a time), the steps
 * follow with their waits as deferred jobs, and an exit event (or a ticket filed, with `exitOnTicket`)
 * ends it before whatever step is still waiting. One list of `steps` (variant `a`), or `variants`, each
 * with its steps, split by weight among the users outside the control group.
 */
const journeyFields = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'must be 2–40 lowercase letters, digits or dashes'),
  kind: z.literal('journey'),
  description: z.string().min(1),
  enabled: z.boolean().default(true),
  /** The notification preference a notification step needs: `reminders` or `news`. */
  type: z.enum(['reminders', 'news']),
  trigger: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an event name'),
  exitOn: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an event name')).default([]),
  /** A ticket the user files after the trigger ends the run (the abandoned form's nudge). */
  exitOnTicket: z.boolean().default(false),
  /** The deep link after `#` in the app URL (notifications); `journey` and `step` are appended. */
  fragment: z.string().min(1).max(1900),
  steps: journeySteps.optional(),
  variants: z
    .array(journeyVariantSchema)
    .min(1)
    .max(10)
    .refine(
      (variants) => new Set(variants.map((v) => v.id)).size === variants.length,
      'variant ids must differ',
    )
    .optional(),
  /** Share of the triggered users held out as the control group, in percent: their runs send nothing. */
  controlPercent: z.number().min(0).max(50).default(0),
  /**
   * What the journey is for: the user does `event` within `withinHours` after the trigger (the
   * results' conversions, treated and control alike). At most a week, as campaigns' goals.
   */
  goal: z
    .strictObject({ event: eventName, withinHours: z.number().int().min(1).max(GOAL_WINDOW_HOURS) })
    .optional(),
});

const journeySchema = journeyFields
  .refine((journey) => (journey.steps === undefined) !== (journey.variants === undefined), {
    message: 'a journey has either steps or variants (each with its steps)',
    path: ['steps'],
  })
  .transform(({ steps, variants, ...journey }) => ({
    ...journey,
    variants: variants ?? [{ id: 'a', weight: 1, steps: steps! }],
  }));

export type JourneyDefinition = z.infer<typeof journeySchema>;

const campaignsFile = z.strictObject({
  campaigns: z
    .array(campaignSchema)
    .refine(
      (campaigns) => new Set(campaigns.map((c) => c.id)).size === campaigns.length,
      'campaign ids must differ',
    ),
  journeys: z
    .array(journeySchema)
    .default([])
    .refine(
      (journeys) => new Set(journeys.map((j) => j.id)).size === journeys.length,
      'journey ids must differ',
    ),
});

/** The journeys of a campaigns file (`content/campaigns.json`), validated. */
export function parseJourneys(source: unknown): JourneyDefinition[] {
  return campaignsFile.parse(source).journeys;
}

export type CampaignDefinition = z.infer<typeof campaignSchema>;

export interface CompiledVariant {
  id: string;
  weight: number;
  templates: Record<Language, CompiledTemplate[]>;
  /** The full deep link, with campaign and variant. */
  fragment: string;
  /** The local send time, if the variant has one (lib/schedule/timezone.ts `sendTimeFor`). */
  sendAt?: string;
}

export interface Campaign extends Omit<CampaignDefinition, 'variants'> {
  variants: CompiledVariant[];
  totalWeight: number;
}

/** The deep link of a campaign's variant: the mini app reads `campaign` and `variant` from it. */
export function fragmentFor(base: string, campaign: string, variant: string): string {
  return `${base}${base.includes('?') ? '&' : '?'}campaign=${campaign}&variant=${variant}`;
}

export function compileCampaigns(source: unknown): Campaign[] {
  return campaignsFile.parse(source).campaigns.map((definition) => ({
    ...definition,
    totalWeight: definition.variants.reduce((sum, variant) => sum + variant.weight, 0),
    variants: definition.variants.map((variant) => ({
      id: variant.id,
      weight: variant.weight,
      fragment: fragmentFor(definition.fragment, definition.id, variant.id),
      ...(variant.sendAt ? { sendAt: variant.sendAt } : {}),
      templates: {
        ru: variant.texts.ru.map((text, index) =>
          compileTemplate(text, CAMPAIGN_VARIABLES, `${definition.id}/${variant.id}/ru/${index}`),
        ),
        en: variant.texts.en.map((text, index) =>
          compileTemplate(text, CAMPAIGN_VARIABLES, `${definition.id}/${variant.id}/en/${index}`),
        ),
      },
    })),
  }));
}

let shipped: readonly Campaign[] | undefined;

/**
 * `content/campaigns.json`, validated and compiled on first use (a bad file fails the build). Not at
 * module load: ticket-api imports this module for the report's names but rarely needs the campaigns,
 * and compiling their templates is a good part of a cold start.
 */
export function shippedCampaigns(): readonly Campaign[] {
  shipped ??= compileCampaigns(content);
  return shipped;
}

export function renderCampaignText(template: CompiledTemplate, firstName: string | null): string {
  return renderTemplate(template, { first_name: firstName }, template.source.slice(0, 30));
}

/** Every event name a condition mentions (the build checks them against the allow-list). */
export function eventNamesIn(condition: Condition): string[] {
  if ('event' in condition) return [condition.event, ...(condition.after ? [condition.after] : [])];
  if ('ticket' in condition) return [];
  if ('not' in condition) return eventNamesIn(condition.not);
  return ('all' in condition ? condition.all : condition.any).flatMap(eventNamesIn);
}

/** A VK first name as long as any (VK caps names at 32 characters) for the build's length check. */
const LONGEST_NAME = 'Ю'.repeat(32);

/** What the build refuses in campaigns beyond their schema. */
export function campaignProblems(
  list: readonly Campaign[],
  textLimit: number,
  fragmentLimit: number,
): string[] {
  const known = new Set([...supportSettings.eventNames, '*']);
  const problems: string[] = [];
  for (const campaign of list) {
    for (const condition of [campaign.segment, ...(campaign.exit ? [campaign.exit] : [])]) {
      for (const name of eventNamesIn(condition))
        if (!known.has(name)) problems.push(`campaign ${campaign.id}: event ${name} is not in eventNames`);
    }
    if (campaign.goal && !known.has(campaign.goal.event))
      problems.push(`campaign ${campaign.id}: goal event ${campaign.goal.event} is not in eventNames`);
    if (campaign.exit && JSON.stringify(campaign.exit).includes('"ticket"'))
      problems.push(
        `campaign ${campaign.id}: an exit rule may only use events (checked per user at sending)`,
      );
    for (const variant of campaign.variants) {
      if (variant.fragment.length > fragmentLimit)
        problems.push(`campaign ${campaign.id}/${variant.id}: fragment longer than ${fragmentLimit}`);
      for (const language of ['ru', 'en'] as const) {
        for (const template of variant.templates[language]) {
          if (template.required.length > 0)
            problems.push(
              `campaign ${campaign.id}/${variant.id}: {${template.required[0]}} needs a fallback`,
            );
          for (const name of [LONGEST_NAME, null]) {
            const rendered = renderCampaignText(template, name);
            if (rendered.length > textLimit)
              problems.push(
                `campaign ${campaign.id}/${variant.id}/${language}: ${rendered.length} characters rendered (limit ${textLimit})`,
              );
          }
        }
      }
    }
  }
  return problems;
}
