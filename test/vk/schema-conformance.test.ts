import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROL, shippedCampaigns } from '../../lib/campaigns/campaign';
import { assignVariant } from '../../lib/campaigns/segment';
import { DAY, MINUTE } from '../../lib/clock';
import { newUserRecord } from '../../lib/users/account';
import { VkClient } from '../../lib/vk/client';
import { ExecuteBatcher } from '../../lib/vk/execute';
import { callbackConfirmationCode, registerCallbackServer } from '../../scripts/lib/callback-server';
import { apiMethods } from '../../scripts/sandbox/api-methods';
import { type RecordedCall, VkSandbox } from '../../scripts/sandbox/vk-sandbox';
import { parseExecuteCode } from '../../scripts/sandbox/vkscript';
import { type BotStack, OPERATORS_CHAT, startBotStack } from '../support/bot-harness';
import { type MethodParameter, schemaPresent, VkApiSchema } from './vk-api-schema';

/**
 * The sandbox keeps VK's word: the product's VK calls — the bot, the operators' chat, CSAT, the
 * dispatcher and the callback-server script, run on the local stack, plus the VK client's options
 * they don't happen to use — are checked against VK's official schema (`../shared/vk-api-schema`,
 * API 5.199): every parameter against the method's entry in `methods.json` (inner calls of `execute`
 * likewise), every answer the sandbox gave against `responses.json`, every error against
 * `errors.json`. A method the product calls that nothing here exercised fails the test.
 */
jest.setTimeout(120_000);

const ROOT = join(__dirname, '../..');
const describeWithSchema = schemaPresent() ? describe : describe.skip; // skip reason: VK's schema is ../shared/vk-api-schema, beside the clone in CI

/** Parameters every request may carry (dev.vk.com/ru/api/api-requests): version, token, language. */
const COMMON_PARAMETERS: MethodParameter[] = [
  { name: 'v', type: 'string', required: true },
  { name: 'access_token', type: 'string' },
  { name: 'lang', $ref: '../base/objects.json#/definitions/base_lang' },
];

/**
 * VK's schema as the product may rely on it: the schema read as published, with the documented
 * platform facts it contradicts (each below, with its source) kept as the platform behaves.
 */
function vkSchema(): VkApiSchema {
  const schema = new VkApiSchema();
  // `execute` is not among the schema's sections here. dev.vk.com/ru/method/execute: `code` (string,
  // required) and `func_v`; its answer is the script's value (checked per call it holds); 12 and 13.
  schema.define({
    name: 'execute',
    parameters: [
      { name: 'code', type: 'string', required: true },
      { name: 'func_v', type: 'integer' },
    ],
    responses: {},
    errors: [
      { $ref: '../errors.json#/errors/api_error_compile' },
      { $ref: '../errors.json#/errors/api_error_runtime' },
    ],
  });
  // The keyboard object marks `one_time` required (it describes keyboards as VK returns them in
  // messages). dev.vk.com/ru/api/bots/development/keyboard: `one_time` is optional, false by default,
  // and an inline keyboard takes none; the product's inline keyboards send `{inline: true, buttons}`.
  schema.amend('messages/objects.json', '/definitions/messages_keyboard/properties/one_time', (node) => {
    delete node.required;
  });
  // Button colours: the schema lists `default`; the same page documents primary, secondary, negative
  // and positive (`default` is secondary's old name), and the product uses `secondary`.
  schema.amend('messages/objects.json', '/definitions/messages_keyboard_button/properties/color', (node) => {
    node.enum = [...(node.enum ?? []), 'secondary'];
  });
  // `base_error` requires an `inner_type` VK's API answers don't carry: an error is `error_code`,
  // `error_msg` and `request_params` (dev.vk.com/ru/reference/errors).
  schema.amend('base/objects.json', '/definitions/base_error/properties/inner_type', (node) => {
    delete node.required;
  });
  // `groups.getCallbackSettings` reports every event `groups.setCallbackSettings` takes; the events
  // object lacks three of them (message_event: the callback buttons the bot answers).
  schema.amend('groups/objects.json', '/definitions/groups_long_poll_events/properties', (node) => {
    const events = node as Record<string, unknown>;
    for (const name of ['message_event', 'like_add', 'like_remove'])
      events[name] = { $ref: '../base/objects.json#/definitions/base_bool_int' };
  });
  return schema;
}

/**
 * The VK methods the product's code calls, read from its source: method names given to the client's
 * `call` (and `execute` itself), and those packed into `execute` with `executeCallCode`.
 */
function productMethods(): { direct: Set<string>; inExecute: Set<string> } {
  const direct = new Set<string>();
  const inExecute = new Set<string>();
  for (const file of ['lib', 'scripts/lib', 'functions'].flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    for (const [, method] of text.matchAll(
      /\.(?:call|#callOnce)(?:<[^(\n]*>)?\(\s*'([a-z]+(?:\.[A-Za-z]+)?)'/g,
    ))
      direct.add(method!);
    for (const [, method] of text.matchAll(/\bexecuteCallCode\(\s*'([a-z]+\.[A-Za-z]+)'/g))
      inExecute.add(method!);
  }
  return { direct, inExecute };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every problem of one recorded call's answer: its response, or its error. */
function answerProblems(schema: VkApiSchema, call: RecordedCall): string[] {
  const answer = call.answer;
  if (!answer) return [];
  if ('error' in answer) return schema.checkError(call.method, answer.error, { strict: true });
  if (call.method !== 'execute') return schema.checkResponse(call.method, answer.response, { strict: true });
  // `execute`: one value per call in the script, `false` for each failed one, whose error is the
  // next `execute_errors` entry, in order.
  const script = parseExecuteCode(call.params.code ?? '');
  if (!('calls' in script)) return [`execute answered code it can't compile: ${script.compileError}`];
  const results = answer.response;
  if (!Array.isArray(results) || results.length !== script.calls.length)
    return [`execute: ${JSON.stringify(results)} is not one value per call (${script.calls.length})`];
  const errors = answer.execute_errors ?? [];
  const problems: string[] = [];
  let nextError = 0;
  for (const [index, result] of results.entries()) {
    const method = script.calls[index]!.method;
    if (result !== false) {
      problems.push(...schema.checkResponse(method, result, { strict: true }));
      continue;
    }
    const error = errors[nextError++];
    if (!error) problems.push(`execute: call ${index} failed without an execute_errors entry`);
    else if (error.method !== method) problems.push(`execute: entry for ${error.method}, call was ${method}`);
    else
      problems.push(
        // An entry is the error's code and message, and the method it came from.
        ...schema.checkError(
          method,
          { error_code: error.error_code, error_msg: error.error_msg },
          { strict: true },
        ),
      );
  }
  if (nextError !== errors.length)
    problems.push(`execute: ${errors.length} errors for ${nextError} failures`);
  return problems;
}

/** A VK client of the product's against the stack's sandbox, with `token` (VK counts per token). */
function clientOf(bot: BotStack, token: string): VkClient {
  return new VkClient({
    apiUrl: bot.sandbox.apiUrl,
    version: '5.199',
    token,
    rateLimitPerSecond: 20,
    timeoutMs: 5000,
    baseBackoffMs: 20,
  });
}

/**
 * The bot: a ticket filed through the menu (callback buttons, the user's name), taken, answered and
 * resolved in the operators' chat (its members, snackbars), the CSAT survey rated (the survey
 * edited), a user joining (whether they allow messages). Replies leave through `execute`.
 */
async function playTheBot(bot: BotStack, user: number, joining: number) {
  const { card } = await bot.fileTicket(user);
  await bot.press(1, card, { c: 'op', a: 'take' });
  await bot.sandbox.memberWritesInChat(OPERATORS_CHAT, 1, 'Сбросьте кэш', card.conversationMessageId);
  await bot.settle();
  await bot.press(1, card, { c: 'op', a: 'resolve' });
  await bot.advance(31 * MINUTE);
  const survey = bot.sentTo(user).find((message) => /решено\. Оцените/.test(message.text));
  if (!survey) throw new Error('no CSAT survey was sent');
  await bot.press(user, survey, { c: 'csat', r: 5 });
  await bot.sandbox.userJoins(joining);
  await bot.settle();
  return { survey };
}

/** The dispatcher: a campaign's notifications to users who started the quiz, one with them off. */
async function playTheDispatcher(bot: BotStack) {
  const { stack, sandbox } = bot;
  const quiz = shippedCampaigns().find((campaign) => campaign.id === 'quiz-unfinished')!;
  const now = stack.clock.now();
  const treated: number[] = [];
  for (let id = 5000; treated.length < 3; id++) if (assignVariant(quiz, id) !== CONTROL) treated.push(id);
  await stack.store.transaction(async (r) => {
    for (const userId of treated) {
      await r.users.put(
        newUserRecord(userId, now - 10 * DAY, {
          notificationsAllowed: true,
          language: 'ru',
          firstName: 'Анна',
        }),
      );
      const started = { userId, eventId: `start-${userId}`, name: 'quiz_start', screen: 'quiz', props: {} };
      await r.events.append([{ ...started, occurredAt: now - 2 * DAY }]);
    }
  });
  sandbox.notificationsOff.add(treated[0]!);
  await stack.fireDispatcher();
  for (let i = 0; i < 1000 && sandbox.notifications.length === 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** `npm run vk:callback`: the server added, updated on a re-run; the confirmation code, the settings. */
async function playTheCallbackScript(bot: BotStack, admin: VkClient) {
  const groupId = bot.sandbox.options.groupId;
  const registration = {
    groupId,
    url: `${bot.stack.url}/vk/callback`,
    secret: bot.sandbox.options.callbackSecret,
    apiVersion: '5.199',
    pollMs: 20,
  };
  const { serverId } = await registerCallbackServer(admin, registration);
  await registerCallbackServer(admin, registration);
  await callbackConfirmationCode(admin, groupId);
  await admin.call('groups.getCallbackSettings', { group_id: groupId, server_id: serverId });
}

/** The client's options the flows may not happen to use, each as the product passes it. */
async function playTheClientsOptions(
  bot: BotStack,
  clients: { vk: VkClient; app: VkClient },
  users: { user: number; joining: number; editable: number },
) {
  const { vk, app } = clients;
  const { user, joining } = users;
  await vk.sendMessage({
    peerId: user,
    messageKey: 'conformance:options',
    text: 'Вложение',
    attachment: 'photo-100000001_457239017',
    disableMentions: true,
    keyboard: {
      one_time: true,
      buttons: [[{ action: { type: 'text', label: 'Меню', payload: '{"c":"menu"}' }, color: 'primary' }]],
    },
  });
  await vk.getUsers([user, 1], 'en');
  await vk.answerMessageEvent({ eventId: 'c0ffee', userId: user, peerId: user });
  await vk.answerMessageEvent({ eventId: 'c0ffee2', userId: user, peerId: user, snackbarText: 'Готово' });
  await vk.editMessage({ peerId: user, conversationMessageId: users.editable, text: 'Спасибо!' });
  await vk.isMessagesFromGroupAllowed(bot.sandbox.options.groupId, user);
  await vk.getConversationMemberIds(OPERATORS_CHAT);
  await app.sendNotification({
    userIds: [user, joining],
    text: 'Ответ готов',
    fragment: 'ticket',
    sendKey: 'k1',
  });
  // Within the hour: VK's hourly limit. Past it, the same text again: VK refuses a repeated text.
  await app.sendNotification({ userIds: [user], text: 'Ещё одно', sendKey: 'k1b' });
  await bot.advance(61 * MINUTE);
  await app.sendNotification({ userIds: [joining], text: 'Ответ готов', sendKey: 'k2' });
  const batcher = new ExecuteBatcher(vk);
  await Promise.allSettled([
    batcher.sendMessage({ peerId: user, messageKey: 'conformance:batch:1', text: 'Раз' }),
    batcher.sendMessage({ peerId: 4999, messageKey: 'conformance:batch:2', text: 'Никогда не писал' }),
    batcher.sendMessage({ peerId: OPERATORS_CHAT, messageKey: 'conformance:batch:3', text: 'Три' }),
  ]);
}

/** VK refusing well-formed calls: no permission, no access, not found, limits, flood and failures. */
async function playRefusals(bot: BotStack, clients: { vk: VkClient; admin: VkClient }, user: number) {
  const { vk, admin } = clients;
  const { sandbox } = bot;
  const groupId = sandbox.options.groupId;
  const refusals: Array<Promise<unknown>> = [
    vk.sendMessage({ peerId: 4998, messageKey: 'conformance:901', text: 'Никогда не писал' }),
    vk.getConversationMemberIds(2_000_000_099),
    vk.editMessage({ peerId: user, conversationMessageId: 9999, text: 'нет такого' }),
    admin.call('groups.getCallbackServers', { group_id: 1 }),
    admin.call('groups.getCallbackSettings', { group_id: groupId, server_id: 99 }),
    admin.call('groups.editCallbackServer', {
      group_id: groupId,
      server_id: 99,
      url: 'https://x',
      title: 't',
    }),
  ];
  for (const error of [6, 9, 10, 901] as const)
    sandbox.injectFault({ method: 'messages.send', error, times: 1 });
  refusals.push(vk.sendMessage({ peerId: user, messageKey: 'conformance:faults', text: 'После сбоев' }));
  refusals.push(vk.sendMessage({ peerId: user, messageKey: 'conformance:faults:2', text: 'После сбоев' }));
  sandbox.injectFault({ method: 'users.get', error: 9, times: 1 });
  refusals.push(vk.getUsers([user]));
  sandbox.injectFault({ method: 'messages.send', error: 10, times: 1 });
  const batcher = new ExecuteBatcher(vk);
  refusals.push(batcher.sendMessage({ peerId: user, messageKey: 'conformance:batch:retry', text: 'Снова' }));
  await Promise.allSettled(refusals);
  // Ten servers at most: the eleventh is VK's 2000.
  for (let server = 2; server <= 11; server++) {
    const url = `${bot.stack.url}/nowhere/${server}`;
    await admin
      .call('groups.addCallbackServer', { group_id: groupId, url, title: `s${server}` })
      .catch(() => undefined);
  }
  await bot.settle();
}

/**
 * Requests no product code sends, to a sandbox of their own: no version, no token, an unknown
 * method, a message too long, a broken keyboard, a long snackbar, no users, code VK can't compile,
 * 26 calls in one `execute`, a repeated `random_id` inside one. Their answers are checked, not their
 * parameters.
 */
async function playRequestsVkRefuses(): Promise<RecordedCall[]> {
  const bare = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start();
  try {
    bare.allowed.add(1);
    const post = async (method: string, params: Record<string, string>, token = 'group') =>
      fetch(`${bare.apiUrl}/${method}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: new URLSearchParams(params),
      }).then((response) => response.text());
    const send = (text: string) =>
      `API.messages.send(${JSON.stringify({ peer_id: 1, random_id: 7, message: text })})`;
    const v = '5.199';
    await post('messages.send', { peer_id: '1', message: 'без версии' });
    await post('messages.send', { v, peer_id: '1', message: 'без токена' }, '');
    await post('messages.nothing', { v });
    await post('messages.send', { v, peer_id: '1', random_id: '1', message: 'я'.repeat(9001) });
    await post('messages.send', {
      v,
      peer_id: '1',
      random_id: '2',
      message: 'x',
      keyboard: '{"buttons":{}}',
    });
    const longSnackbar = JSON.stringify({ type: 'show_snackbar', text: 'я'.repeat(91) });
    await post('messages.sendMessageEventAnswer', {
      v,
      event_id: 'e',
      user_id: '1',
      peer_id: '1',
      event_data: longSnackbar,
    });
    await post('notifications.sendMessage', { v, user_ids: '', message: 'x' });
    await post('execute', { v, code: 'var a = 1; return a;' });
    await post('execute', { v, code: `return [${Array.from({ length: 26 }, () => send('x')).join(',')}];` });
    await post('execute', { v, code: `return [${send('один')},${send('один')}];` });
    return [...bare.calls];
  } finally {
    await bare.stop();
  }
}

describeWithSchema('the VK sandbox keeps VK’s word (vk-api-schema 5.199)', () => {
  // Read in a hook: a describe skipped for want of the schema still runs its body to list the tests.
  let schema: VkApiSchema;
  beforeAll(() => {
    schema = vkSchema();
  });
  const product = productMethods();
  let bot: BotStack;
  /** Everything the product's code sent the stack's sandbox, with the sandbox's answers. */
  let calls: RecordedCall[];
  /** Requests VK refuses (no version, a 26th call in `execute`, …): their answers, not their parameters. */
  let refused: RecordedCall[];

  beforeAll(async () => {
    bot = await startBotStack();
    const [user, joining] = [4101, 4102];
    const clients = {
      vk: clientOf(bot, 'group'),
      app: clientOf(bot, 'service'),
      admin: clientOf(bot, 'admin'),
    };
    const { survey } = await playTheBot(bot, user, joining);
    await playTheDispatcher(bot);
    await playTheCallbackScript(bot, clients.admin);
    await playTheClientsOptions(bot, clients, { user, joining, editable: survey.conversationMessageId });
    await playRefusals(bot, clients, user);
    calls = [...bot.sandbox.calls];
    refused = await playRequestsVkRefuses();
  });
  afterAll(() => bot?.close());

  it('knows which methods the product calls, and each is one VK has', () => {
    // The scan found the client's own calls; a broken scan would pass everything below.
    expect([...product.direct]).toEqual(expect.arrayContaining(['messages.send', 'users.get', 'execute']));
    expect([...product.inExecute]).toEqual(['messages.send']);
    for (const method of [...product.direct, ...product.inExecute])
      expect({ method, entry: !!schema.method(method) }).toEqual({ method, entry: true });
  });

  it('exercised every method the product calls, directly and inside execute, with an answer checked', () => {
    const answered = (method: string, via: boolean) =>
      calls.some(
        (call) =>
          call.method === method &&
          (call.via === 'execute') === via &&
          call.answer &&
          'response' in call.answer,
      );
    const missing = [
      ...[...product.direct].filter((method) => !answered(method, false)),
      ...[...product.inExecute]
        .filter((method) => !answered(method, true))
        .map((method) => `${method} in execute`),
    ];
    expect(missing).toEqual([]);
  });

  it("sends only VK's parameters: declared names, form types, enums, bounds, lengths, required ones", () => {
    const problems = calls.flatMap((call) =>
      schema.checkParams(call.method, call.params, call.via === 'execute' ? [] : COMMON_PARAMETERS),
    );
    expect([...new Set(problems)]).toEqual([]);
  });

  it("packs into execute only API calls whose JSON arguments have VK's types", () => {
    const scripts = calls.filter((call) => call.method === 'execute' && !call.via);
    expect(scripts.length).toBeGreaterThan(0);
    const problems = scripts.flatMap((call) => {
      const script = parseExecuteCode(call.params.code ?? '');
      if (!('calls' in script)) return [script.compileError];
      return script.calls.flatMap((inner) => [
        ...(product.inExecute.has(inner.method)
          ? []
          : [`execute holds ${inner.method}, not a product method`]),
        ...schema.checkScriptArgs(inner.method, inner.args),
      ]);
    });
    expect([...new Set(problems)]).toEqual([]);
  });

  it("answers in VK's shapes: responses as responses.json, errors as errors.json", () => {
    const answers = [...calls, ...refused].filter((call) => call.answer);
    const problems = answers.flatMap((call) => answerProblems(schema, call));
    expect([...new Set(problems)]).toEqual([]);
    // The refusals played above all came back as VK's errors.
    const codes = new Set(
      answers.flatMap((call) => {
        const answer = call.answer!;
        if ('error' in answer) return [answer.error.error_code];
        return (answer.execute_errors ?? []).map((entry) => entry.error_code);
      }),
    );
    expect([...codes].sort((a, b) => a - b)).toEqual(
      expect.arrayContaining([3, 5, 6, 8, 9, 10, 12, 13, 15, 100, 104, 901, 911, 914, 917, 2000]),
    );
    // And the per-user refusals of notifications: notifications off (1), the hourly limit (2), a
    // repeated text (no code).
    const refusedUsers = answers
      .filter((call) => call.method === 'notifications.sendMessage' && 'response' in call.answer!)
      .flatMap(
        (call) =>
          (call.answer as { response: Array<{ status: boolean; error?: { code?: number } }> }).response,
      )
      .filter((result) => !result.status)
      .map((result) => result.error?.code ?? 'no code');
    expect(new Set(refusedUsers)).toEqual(new Set([1, 2, 'no code']));
  });

  it('plays every method it answers in VK’s shape at least once', () => {
    const played = new Set(
      calls.filter((call) => call.answer && 'response' in call.answer).map((call) => call.method),
    );
    expect([...Object.keys(apiMethods), 'execute'].filter((method) => !played.has(method))).toEqual([]);
  });
});

describeWithSchema('the schema checks themselves', () => {
  // Read in a hook: a describe skipped for want of the schema still runs its body to list the tests.
  let schema: VkApiSchema;
  beforeAll(() => {
    schema = vkSchema();
  });
  const common = COMMON_PARAMETERS;

  it('flag a parameter VK does not know, a form value of the wrong type, a missing required one', () => {
    expect(
      schema.checkParams('messages.edit', { v: '5.199', peer_id: '1', conversation_message_id: '3' }, common),
    ).toEqual(['messages.edit: unknown parameter conversation_message_id']);
    expect(
      schema.checkParams('messages.send', { v: '5.199', peer_id: '1x', disable_mentions: 'true' }, common),
    ).toEqual([
      'messages.send(peer_id): "1x" is not an integer',
      'messages.send(disable_mentions): "true" is not a flag, 0 or 1',
    ]);
    expect(
      schema.checkParams('messages.isMessagesFromGroupAllowed', { v: '5.199', user_id: '1' }, common),
    ).toEqual(['messages.isMessagesFromGroupAllowed: required parameter group_id missing']);
    expect(schema.checkParams('users.get', { user_ids: '1', lang: 'xx' }, common)).toEqual([
      'users.get(lang): "xx" is not one of ["ru","ua","be","en","es","fi","de","it"]',
      'users.get: required parameter v missing',
    ]);
  });

  it('flag enums, bounds, lengths, int32 overflow, and a keyboard VK would not read', () => {
    expect(
      schema.checkParams('notifications.sendMessage', {
        user_ids: Array.from({ length: 101 }, (_, index) => index + 1).join(','),
        message: 'я'.repeat(255),
        random_id: String(2 ** 31),
        sending_mode: 'later',
      }),
    ).toEqual([
      'notifications.sendMessage(user_ids): more than 100 items',
      'notifications.sendMessage(message): 255 characters, more than 254',
      'notifications.sendMessage(random_id): 2147483648 does not fit int32',
      'notifications.sendMessage(sending_mode): "later" is not one of ["delayed","delayed_push","immediately","without_push"]',
    ]);
    const keyboard = JSON.stringify({
      inline: true,
      buttons: [[{ action: { type: 'callback' }, color: 'green' }]],
    });
    expect(schema.checkParams('messages.send', { peer_id: '1', keyboard })).toEqual([
      'messages.send(keyboard).buttons[0][0].action: required label missing',
      'messages.send(keyboard).buttons[0][0].color: "green" is not one of ["default","positive","negative","primary","secondary"]',
    ]);
  });

  it("flag an answer or an error VK doesn't give", () => {
    expect(
      schema.checkResponse('notifications.sendMessage', [{ user_id: 1, status: false, error: { code: 0 } }]),
    ).toEqual(['notifications.sendMessage response.response[0].error.code: 0 is not one of [1,2,3,4]']);
    expect(schema.checkResponse('users.get', [{ first_name: 'A' }])).toEqual([
      'users.get response.response[0]: required id missing',
    ]);
    expect(
      schema.checkResponse(
        'groups.getCallbackSettings',
        { api_version: '5.199', events: { message_new: true } },
        { strict: true },
      ),
    ).toEqual(
      expect.arrayContaining([
        'groups.getCallbackSettings response.response.events.message_new: true is not integer',
      ]),
    );
    expect(schema.checkError('messages.send', { error_code: 100, error_msg: 'message is too long' })).toEqual(
      [
        'messages.send error 100: message "message is too long" is not "One of the parameters specified was missing or invalid[: …]"',
      ],
    );
    expect(
      schema.checkError('users.get', { error_code: 917, error_msg: "You don't have access to this chat" }),
    ).toEqual([
      'users.get error 917: api_error_messages_chat_user_no_access is neither global nor listed for the method',
    ]);
  });
});
