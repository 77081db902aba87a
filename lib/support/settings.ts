import * as z from 'zod';
import priorityContent from '../../content/priority.json';
import content from '../../content/support.json';
import { compileTemplate, TemplateError } from '../i18n/template';
import { phraseKey } from '../i18n/words';
import { parseClockTime, weekdays } from '../schedule/business-hours';
import { ticketPriorities } from '../tickets/priority';

const clockTime = z.string().refine((value) => {
  try {
    parseClockTime(value);
    return true;
  } catch {
    return false;
  }
}, 'must be HH:MM');
const period = z
  .tuple([clockTime, clockTime])
  .refine(([from, to]) => parseClockTime(from) < parseClockTime(to), 'must open before it closes');
const localized = z.object({ ru: z.string().min(1), en: z.string().min(1) });

/** What an operator template may say: anything else is a load error, never a blank before a user. */
export const templateVariables: ReadonlySet<string> = new Set([
  'first_name',
  'operator_name',
  'community_name',
  'greeting',
  'ticket_number',
]);
const templateText = z
  .string()
  .min(1)
  .max(4000)
  .superRefine((text, context) => {
    try {
      compileTemplate(text, templateVariables);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      context.addIssue({ code: 'custom', message: error.message });
    }
  });

export const supportSettingsSchema = z.object({
  businessHours: z.object({
    weekly: z.object(
      Object.fromEntries(weekdays.map((day) => [day, z.array(period).max(6)])) as {
        [K in (typeof weekdays)[number]]: z.ZodArray<typeof period>;
      },
    ),
    holidays: z.array(z.iso.date()),
  }),
  categories: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
        /** The letter of its ticket numbers: `B-1042`. */
        prefix: z.string().regex(/^[A-Z]$/),
        emoji: z.string().min(1),
        label: localized,
        /** Targets in business minutes; the resolution clock pauses while waiting for the user. */
        sla: z.object({
          firstResponseMinutes: z.number().int().positive(),
          resolutionMinutes: z.number().int().positive(),
        }),
        /**
         * Which operators' chat gets its tickets, by key: OPERATORS_CHATS maps keys to peer ids per
         * environment. None, or a key the environment doesn't map: the default chat.
         */
        chat: z
          .string()
          .regex(/^[a-z][a-z0-9_-]{0,31}$/)
          .optional(),
        /** How soon its tickets should be taken; urgent phrases in a ticket raise it to `urgent`. */
        priority: z.enum(ticketPriorities).default('normal'),
      }),
    )
    .min(1)
    .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'category ids must be unique')
    .refine((list) => new Set(list.map((c) => c.prefix)).size === list.length, 'prefixes must be unique'),
  /** The analytics events the mini app may log (POST /api/events). */
  eventNames: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/)).min(1),
  /** Shown in greetings and templates as {community_name}. */
  communityName: localized,
  /**
   * What a user subscribes to when they allow messages with a key (VKWebAppAllowMessagesFromGroup's
   * `key`, Senler's subscription lists): the welcome names it ("Будем присылать новости и акции").
   */
  subscriptions: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), localized).default({}),
  /** Replies operators send with `/t <id>` in the operators' chat (and list in the API). */
  operatorTemplates: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9-]{1,32}$/),
        title: localized,
        text: z.object({ ru: templateText, en: templateText }),
      }),
    )
    .refine((list) => new Set(list.map((t) => t.id)).size === list.length, 'template ids must be unique'),
});

export type SupportSettings = z.infer<typeof supportSettingsSchema>;
export type Category = SupportSettings['categories'][number];

/**
 * `content/support.json`, parsed once. A bad file fails `npm run build` (scripts/check-content.ts)
 * and the tests long before it could reach a function.
 */
export const supportSettings: SupportSettings = supportSettingsSchema.parse(content);

const urgentPhrase = z
  .string()
  .min(1)
  .max(100)
  .refine((phrase) => phraseKey(phrase) !== '', 'must have a word');

/** `content/priority.json`: what makes a ticket urgent whatever its category. */
export const priorityContentSchema = z.object({
  /** Matched by word stems on the ticket's subject and text (lib/tickets/routing.ts). */
  urgentPhrases: z.object({ ru: z.array(urgentPhrase), en: z.array(urgentPhrase) }),
});
export type PriorityContent = z.infer<typeof priorityContentSchema>;

/** `content/priority.json`, parsed once, like the support settings. */
export const priorityContentSettings: PriorityContent = priorityContentSchema.parse(priorityContent);

export function findCategory(settings: SupportSettings, id: string): Category | undefined {
  return settings.categories.find((category) => category.id === id);
}
