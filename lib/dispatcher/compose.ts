import type { Campaign } from '../campaigns/campaign';
import type { Clock } from '../clock';
import type { ConfigSection } from '../config/schema';
import { describeError } from '../errors';
import type { Logger } from '../log/logger';
import { type NpsSurveyResult, runNpsSurvey } from '../nps/survey';
import { DeferredJobs } from '../queue/deferred';
import { MAX_DELAY_SECONDS, type MessageQueue } from '../queue/port';
import type { Store } from '../storage/port';
import { VkClient } from '../vk/client';
import { serviceTokenGate } from '../vk/shared-rate-gate';
import { type CampaignBatch, campaignBatchSchema } from './batch';
import { type DailyRunResult, runDailyDispatch } from './daily-run';
import type { AudienceSettings } from './decide';
import { sendMessageBatch } from './message-sender';
import { type BatchOutcome, sendCampaignBatch } from './sender';

export function audienceSettingsFrom(config: {
  miniApp: ConfigSection<'miniApp'>;
  runtime: ConfigSection<'runtime'>;
}): AudienceSettings {
  return {
    dailyCap: config.miniApp.NOTIFY_DAILY_CAP,
    timezone: config.runtime.APP_TIMEZONE,
    defaultQuietHours: config.runtime.DEFAULT_QUIET_HOURS,
    messagesDailyCap: config.miniApp.MARKETING_MESSAGES_DAILY_CAP,
    npsSurveyDailyLimit: config.miniApp.NPS_SURVEY_DAILY_LIMIT,
  };
}

/** Writes up to 10 batches to the notify queue in one call: how every run fans out. */
export function notifyQueueWriter(queue: MessageQueue) {
  return async (batches: CampaignBatch[]): Promise<void> => {
    await queue.sendBatch(
      'notify',
      batches.map((batch) => ({ body: JSON.stringify(batch) })),
    );
  };
}

/** The service token's client for campaign sends: every instance paced by one shared gate. */
export function campaignVkClient(
  store: Store,
  options: { apiUrl: string; version: string; timeoutMs: number; token: string; rateLimitPerSecond: number },
  logger: Logger,
): VkClient {
  return new VkClient({
    ...options,
    bucket: serviceTokenGate(store, options.rateLimitPerSecond),
    logger,
  });
}

/**
 * The notify-dispatcher's two jobs over one set of parts: the daily run (timer) that plans and
 * fans out batches to the notify queue, and the sender (notify queue trigger) for each batch.
 */
export function createNotifyDispatcher(parts: {
  store: Store;
  queue: MessageQueue;
  clock: Clock;
  logger: Logger;
  appVk: VkClient;
  /** The community token's client, for campaigns that write (`channel` message or auto). */
  groupVk?: VkClient;
  settings: AudienceSettings;
  campaigns: readonly Campaign[];
}) {
  const { queue, logger } = parts;
  const enqueue = notifyQueueWriter(queue);
  const deferred = new DeferredJobs({ store: parts.store, queue, clock: parts.clock, logger });
  const { settings } = parts;
  const npsSurvey = () =>
    runNpsSurvey({
      store: parts.store,
      clock: parts.clock,
      logger,
      settings: {
        dailyLimit: settings.npsSurveyDailyLimit ?? 0,
        messagesDailyCap: settings.messagesDailyCap ?? 1,
        timezone: settings.timezone,
        defaultQuietHours: settings.defaultQuietHours,
      },
      dispatch: (jobs) => deferred.dispatchCommitted(jobs),
    });
  return {
    /**
     * The daily timer: the day's campaigns, then the NPS survey (each under its own day's claim, so a
     * re-fire is a no-op for both). A one-campaign run (ops) runs that campaign only.
     */
    runDaily: async (
      options: { campaign?: string; pageSize?: number } = {},
    ): Promise<DailyRunResult & { npsSurvey?: NpsSurveyResult }> => {
      const result = await runDailyDispatch({ ...parts, enqueue, ...options });
      if (options.campaign !== undefined) return result;
      return { ...result, npsSurvey: await npsSurvey() };
    },

    /** One notify queue message. A malformed one is logged and dropped (it can never succeed). */
    async handleMessage(body: string): Promise<BatchOutcome | null> {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch (error) {
        logger.error('notify message dropped: not JSON', { error: describeError(error) });
        return null;
      }
      const parsed = campaignBatchSchema.safeParse(json);
      if (!parsed.success) {
        logger.error('notify message dropped: not a campaign batch', {
          issues: parsed.error.issues.slice(0, 3),
        });
        return null;
      }
      const { postponed = 0, ...batch } = parsed.data;
      const wait = (batch.notBefore ?? 0) - parts.clock.now();
      if (wait > 0) {
        // A variant's local send time not yet reached: hop again, no longer than the queue's delay.
        const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil(wait / 1000));
        await queue.send('notify', { body, delaySeconds });
        return { results: { waiting: batch.userIds.length } };
      }
      const outcome =
        batch.channel === 'message'
          ? await sendMessageBatch(parts, batch)
          : await sendCampaignBatch(parts, batch);
      if (outcome.retryAfterSeconds !== undefined) {
        // Backs off further each time VK refuses; the batch's day ends the retries at midnight UTC.
        const delaySeconds = Math.min(MAX_DELAY_SECONDS, outcome.retryAfterSeconds * 2 ** postponed);
        await queue.send('notify', {
          body: JSON.stringify({ ...batch, postponed: postponed + 1 }),
          delaySeconds,
        });
      }
      logger.info('campaign batch sent', {
        campaign: batch.campaign,
        variant: batch.variant,
        channel: batch.channel,
        ...outcome.results,
      });
      return outcome;
    },
  };
}
