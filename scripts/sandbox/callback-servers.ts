import {
  fail,
  invalid,
  type MethodContext,
  type MethodHandler,
  type MethodTable,
  ok,
} from './method-context';
import type { CallbackServer, CallbackSettings } from './types';

/**
 * `groups.*` Callback API server methods, as VK keeps the servers: at most 10 per community, title
 * ≤ 14 characters, secret ≤ 50; adding or editing one sends it a `confirmation` event and the server
 * is `ok` only if it answers with the confirmation code, else `failed`. Each answers only for the
 * sandbox's own community (else error 15).
 */
export const callbackServerMethods: MethodTable = {
  'groups.getCallbackConfirmationCode': forOwnGroup((_params, context) =>
    ok({ code: context.options.confirmationCode }),
  ),
  'groups.getCallbackServers': forOwnGroup((params, context) => {
    const wanted = params.server_ids ? params.server_ids.split(',').map(Number) : undefined;
    const items = context.callbackServers.filter((server) => !wanted || wanted.includes(server.id));
    return ok({ count: items.length, items });
  }),
  'groups.addCallbackServer': forOwnGroup(saveServer({ editing: false })),
  'groups.editCallbackServer': forOwnGroup(saveServer({ editing: true })),
  'groups.setCallbackSettings': forOwnGroup((params, context) => {
    const server = serverOf(params, context);
    if (!server) return invalid('server_id');
    const settings = settingsOf(server, context);
    for (const [name, value] of Object.entries(params)) {
      if (name === 'api_version') settings.api_version = value;
      else if (!['group_id', 'server_id', 'v', 'access_token'].includes(name))
        settings.events[name] = value === '1';
    }
    context.callbackSettings.set(server.id, settings);
    return ok(1);
  }),
  /** As VK reports them: the API version and every event it knows, 1 (on) or 0. */
  'groups.getCallbackSettings': forOwnGroup((params, context) => {
    const server = serverOf(params, context);
    if (!server) return notFound('server_id');
    const settings = settingsOf(server, context);
    return ok({
      api_version: settings.api_version,
      events: Object.fromEntries(callbackEventNames.map((name) => [name, settings.events[name] ? 1 : 0])),
    });
  }),
};

/** The events a Callback API server can be subscribed to: `groups.setCallbackSettings`' switches (5.199). */
const callbackEventNames = [
  ...['message_new', 'message_reply', 'message_allow', 'message_edit', 'message_deny'],
  ...['message_typing_state', 'message_read', 'message_event', 'message_reaction_event'],
  ...['photo_new', 'audio_new', 'video_new'],
  ...['wall_reply_new', 'wall_reply_edit', 'wall_reply_delete', 'wall_reply_restore', 'wall_post_new'],
  ...['wall_repost', 'wall_schedule_post_new', 'wall_schedule_post_delete'],
  ...['board_post_new', 'board_post_edit', 'board_post_restore', 'board_post_delete'],
  ...['photo_comment_new', 'photo_comment_edit', 'photo_comment_delete', 'photo_comment_restore'],
  ...['video_comment_new', 'video_comment_edit', 'video_comment_delete', 'video_comment_restore'],
  ...['market_comment_new', 'market_comment_edit', 'market_comment_delete', 'market_comment_restore'],
  ...['market_order_new', 'market_order_edit', 'poll_vote_new'],
  ...['group_join', 'group_leave', 'group_change_settings', 'group_change_photo', 'group_officers_edit'],
  ...['user_block', 'user_unblock', 'lead_forms_new', 'like_add', 'like_remove'],
  ...['donut_subscription_create', 'donut_subscription_prolonged', 'donut_subscription_cancelled'],
  ...['donut_subscription_price_changed', 'donut_subscription_expired'],
  ...['donut_money_withdraw', 'donut_money_withdraw_error'],
];

/** VK's 104 for a server the community doesn't have. */
const notFound = (what: string) => fail(104, `Not found: ${what}`);

function forOwnGroup(handler: MethodHandler): MethodHandler {
  return (params, context) =>
    Number(params.group_id) !== context.options.groupId
      ? fail(15, 'Access denied: no access to this group')
      : handler(params, context);
}

/** `groups.addCallbackServer` / `groups.editCallbackServer`: saves the server, then asks it to confirm. */
function saveServer({ editing }: { editing: boolean }): MethodHandler {
  return async (params, context) => {
    const server = serverOf(params, context);
    if (editing && !server) return notFound('server_id');
    if (!params.url || !/^https?:\/\//.test(params.url)) return invalid('url');
    if (!params.title || params.title.length > 14) return invalid('title is longer than 14 characters');
    if ((params.secret_key ?? '').length > 50) return invalid('secret_key is longer than 50 characters');
    if (!server && context.callbackServers.length >= 10) return fail(2000, 'Servers number limit is reached');
    const target = server ?? {
      id: context.callbackServers.length + 1,
      creator_id: 1,
      title: '',
      url: '',
      secret_key: '',
      status: 'wait',
    };
    Object.assign(target, {
      title: params.title,
      url: params.url,
      secret_key: params.secret_key ?? '',
      status: 'wait',
    });
    if (!server) context.callbackServers.push(target);
    target.status = (await confirms(target.url, target.secret_key, context)) ? 'ok' : 'failed';
    return ok(server ? 1 : { server_id: target.id });
  };
}

function serverOf(params: Record<string, string>, context: MethodContext): CallbackServer | undefined {
  return context.callbackServers.find((candidate) => candidate.id === Number(params.server_id));
}

/** The server's settings, or the defaults VK reports for a server never set. */
function settingsOf(server: CallbackServer, context: MethodContext): CallbackSettings {
  return context.callbackSettings.get(server.id) ?? { api_version: context.options.apiVersion, events: {} };
}

/** Sends the server VK's `confirmation` event: it confirms by answering with the confirmation code. */
async function confirms(url: string, secret: string, context: MethodContext): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'confirmation',
        group_id: context.options.groupId,
        ...(secret ? { secret } : {}),
      }),
      signal: AbortSignal.timeout(5000),
    });
    return response.ok && (await response.text()) === context.options.confirmationCode;
  } catch {
    return false;
  }
}
