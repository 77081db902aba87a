import { join } from 'node:path';
import { MINUTE, OffsetClock } from '../../lib/clock';
import { currentClientInfo } from '../sandbox/callback-events';
import { devDefaults, type LocalStack } from './stack';

/** What `npm start` tells a newcomer: the dev community, a real callback to post, where to look. */

/** The VK user `npm start`'s curl writes as (and `npm run chat` talks as, by default). */
export const DEV_USER_ID = 1001;

/**
 * The body VK posts to the callback URL when a user writes to the community: `message_new` in the
 * Callback API's format (API 5.199), with the community's id and callback secret.
 */
export function devMessageNew(
  community: { groupId: number; secret: string; apiVersion: string },
  message: { eventId: string; date: number; userId?: number; text?: string },
) {
  const userId = message.userId ?? DEV_USER_ID;
  return {
    type: 'message_new',
    event_id: message.eventId,
    v: community.apiVersion,
    object: {
      message: {
        id: 1,
        date: message.date,
        peer_id: userId,
        from_id: userId,
        text: message.text ?? 'Привет',
        conversation_message_id: 1,
        attachments: [],
      },
      client_info: currentClientInfo(),
    },
    group_id: community.groupId,
    secret: community.secret,
  };
}

/** Whether the callback secret is the dev default, so it can be shown (a real one never is). */
function callbackSecretShown(stack: Pick<LocalStack, 'config'>): boolean {
  return stack.config.vk.VK_CALLBACK_SECRET === devDefaults.VK_CALLBACK_SECRET;
}

/**
 * A curl that posts a real `message_new` from the dev user to the stack's `/vk/callback`, as VK
 * would: a new `event_id` each second (`dev-<unix time>`; VK's retries of one event share it, and
 * the bot handles each event once). A secret that is not the dev default is not printed: the
 * command reads it from `$VK_CALLBACK_SECRET`.
 */
export function devCallbackCurl(stack: Pick<LocalStack, 'url' | 'config' | 'sandbox'>): string {
  const marks = { eventId: '@event_id@', date: 1_000_000_001, secret: '@secret@' };
  const body = JSON.stringify(
    devMessageNew(
      {
        groupId: stack.config.vk.VK_GROUP_ID,
        secret: callbackSecretShown(stack) ? stack.config.vk.VK_CALLBACK_SECRET : marks.secret,
        apiVersion: stack.sandbox.options.apiVersion,
      },
      { eventId: marks.eventId, date: marks.date },
    ),
  );
  const shell = body
    .replace(`"${marks.eventId}"`, `"dev-'$(date +%s)'"`)
    .replace(`:${marks.date},`, `:'$(date +%s)',`)
    .replace(`"${marks.secret}"`, `"'"$VK_CALLBACK_SECRET"'"`)
    .replace(',"object":', ',\n    "object":')
    .replace(',"client_info":', ',\n      "client_info":')
    .replace(',"group_id":', ',\n    "group_id":');
  return `curl -sS -w '\\n' ${stack.url}/vk/callback -H 'content-type: application/json' -d '${shell}'`;
}

function formatOffset(milliseconds: number): string {
  const minutes = Math.round(milliseconds / MINUTE);
  const days = Math.floor(minutes / (24 * 60));
  const hours = Math.floor((minutes % (24 * 60)) / 60);
  const parts = [days > 0 ? `${days} d` : '', hours > 0 ? `${hours} h` : '', `${minutes % 60} min`];
  return `+${parts.filter(Boolean).join(' ')}`;
}

/** What `npm start` prints once the stack listens: the dev community, a callback to post, the rest. */
export function startupBanner(stack: LocalStack): string[] {
  const { url, sandbox, defaulted, config, clock } = stack;
  const from = (name: string) => (defaulted.includes(name) ? 'dev default' : `from ${name}`);
  const offset = clock instanceof OffsetClock ? clock.offset : 0;
  // `npm run chat` finds the stack on the default ports; on others it is told where.
  const defaultPorts = url === 'http://127.0.0.1:8080' && sandbox.url === 'http://127.0.0.1:8081';
  const chatPoints = defaultPorts ? '' : ` --sandbox ${sandbox.url} --app ${url}`;
  return [
    '',
    'Local stack is up (SQLite store, embedded queue, VK sandbox).',
    '',
    'The dev VK community (local values, not secrets):',
    `  group id            ${config.vk.VK_GROUP_ID}  (${from('VK_GROUP_ID')})`,
    `  callback URL        ${url}/vk/callback`,
    callbackSecretShown(stack)
      ? `  callback secret     ${config.vk.VK_CALLBACK_SECRET}  (${from('VK_CALLBACK_SECRET')})`
      : '  callback secret     (from VK_CALLBACK_SECRET, not printed)',
    `  confirmation code   ${config.vk.VK_CONFIRMATION_CODE}  (${from('VK_CONFIRMATION_CODE')})`,
    ...(offset > 0
      ? [
          `  dev clock           ${formatOffset(offset)} ahead of real time, now ${new Date(clock.now()).toISOString()}` +
            (stack.clockFile ? `  (kept in ${stack.clockFile})` : ''),
        ]
      : []),
    '',
    `Play VK: user ${DEV_USER_ID} writes "Привет" (a message_new callback, API ${sandbox.options.apiVersion}); the answer is ok:`,
    '',
    `  ${devCallbackCurl(stack)}`,
    '',
    `The bot's answer, as VK got it:  curl -sS ${sandbox.url}/sandbox/sent`,
    `Or chat with the bot:            npm run chat -- --user ${DEV_USER_ID}${chatPoints}`,
    '',
    'Also:',
    `  API Gateway routes  ${url}  (POST /vk/callback, /api/*, /ops/)`,
    `  dashboard           ${url}/ops/   (asks for an operator token)`,
    `  health              ${url}/health`,
    `  VK sandbox API      ${sandbox.apiUrl}`,
    `  fire the dispatcher curl -X POST ${url}/dev/dispatch`,
    `  fast-forward clock  curl -X POST ${url}/dev/clock/advance -d '{"minutes":60}'` +
      (stack.clockFile ? `   (kept in ${stack.clockFile})` : ''),
    `  a user via VK       curl -X POST ${sandbox.url}/sandbox/users/${DEV_USER_ID}/messages -d '{"text":"Привет"}'`,
    `  mini app identity   curl ${url}/dev/launch-params?user=${DEV_USER_ID}   (signed X-VK-Launch-Params)`,
    ...(defaulted.includes('OPERATOR_TOKENS')
      ? [
          '  admin token         X-Operator-Token: dev-admin-token-0123456789ab   (VK id 1: also export, erasure, audit)',
          '  operator token      X-Operator-Token: dev-operator-token-0123456789   (VK id 2: tickets only)',
        ]
      : ['  operator tokens     X-Operator-Token: from OPERATOR_TOKENS']),
    `  data                ${join(config.local.DATA_DIR, 'local.sqlite')}`,
    defaulted.length > 0 ? `  dev defaults for    ${defaulted.join(', ')}` : '  no dev defaults used',
    '',
  ];
}
