import * as z from 'zod';
import content from '../../content/support.json';
import { parseClockTime, weekdays } from '../schedule/business-hours';

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
      }),
    )
    .min(1)
    .refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'category ids must be unique')
    .refine((list) => new Set(list.map((c) => c.prefix)).size === list.length, 'prefixes must be unique'),
  /** The analytics events the mini app may log (POST /api/events). */
  eventNames: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/)).min(1),
  operatorTemplates: z.array(
    z.object({ id: z.string().regex(/^[a-z0-9-]+$/), title: localized, text: localized }),
  ),
});

export type SupportSettings = z.infer<typeof supportSettingsSchema>;
export type Category = SupportSettings['categories'][number];

/**
 * `content/support.json`, parsed once. A bad file fails `npm run build` (scripts/check-content.ts)
 * and the tests long before it could reach a function.
 */
export const supportSettings: SupportSettings = supportSettingsSchema.parse(content);

export function findCategory(settings: SupportSettings, id: string): Category | undefined {
  return settings.categories.find((category) => category.id === id);
}
