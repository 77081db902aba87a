import * as z from 'zod';

/** What the dispatcher's timer may ask for: `{"campaign":"<id>"}` runs one campaign (ops). */
export interface TimerOptions {
  campaign?: string;
}

const timerPayloadSchema = z.object({ campaign: z.string().min(1).optional() });

/**
 * The timer trigger's optional payload as the daily run's options. A payload that is not JSON, or
 * not of that shape, gives `{}` (the ordinary daily run) and a `reason` for the log: the payload is
 * set by hand in the trigger, and a typo there must not fail every firing of the timer. Keys other
 * than `campaign` are ignored.
 */
export function parseTimerPayload(payload: string | undefined): { options: TimerOptions; reason?: string } {
  if (payload === undefined || payload.trim() === '') return { options: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (error) {
    return { options: {}, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const result = timerPayloadSchema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    );
    return { options: {}, reason: `not {"campaign":"<id>"}: ${issues.join('; ')}` };
  }
  return { options: result.data.campaign === undefined ? {} : { campaign: result.data.campaign } };
}
