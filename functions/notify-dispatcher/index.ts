import { systemClock } from '../../lib/clock';
import { functionConfigSections } from '../../lib/config/schema';
import { runDailyDispatch } from '../../lib/dispatcher/daily-run';
import type { TimerHandler } from '../../lib/platform/types';
import { createCloudRuntime } from '../../lib/runtime/cloud';

const runtime = createCloudRuntime('notify-dispatcher', functionConfigSections['notify-dispatcher']);

/** The daily timer → `lib/dispatcher`. */
export const handler: TimerHandler = (_event, context) =>
  runtime.invoke(context, ({ store, logger }) => runDailyDispatch({ store, clock: systemClock, logger }));
