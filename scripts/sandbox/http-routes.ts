import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerApiRequest } from './api-request';
import type { Fault } from './faults';
import type { ApiSteps } from './method-context';
import type { CallbackDelivery, EventAnswer, RecordedCall, SentMessage, UserMessageOptions } from './types';

/** What the `/sandbox/*` routes read and drive: the sandbox's records, its faults and its users' actions. */
export interface SandboxControls {
  readonly sent: readonly SentMessage[];
  readonly calls: readonly RecordedCall[];
  readonly deliveries: readonly CallbackDelivery[];
  readonly eventAnswers: readonly EventAnswer[];
  readonly faults: readonly Fault[];
  reset(): void;
  injectFault(fault: Fault): void;
  adminWrites(adminId: number, userId: number, text: string): Promise<CallbackDelivery>;
  memberWritesInChat(
    peerId: number,
    fromId: number,
    text: string,
    replyTo?: number,
  ): Promise<CallbackDelivery>;
  memberPressesInChat(peerId: number, userId: number, payload: unknown): Promise<CallbackDelivery>;
  memberLeavesChat(peerId: number, memberId: number, byId?: number): Promise<CallbackDelivery>;
  memberJoinsChat(peerId: number, memberId: number, byId: number): Promise<CallbackDelivery>;
  userSendsMessage(userId: number, text: string, options?: UserMessageOptions): Promise<CallbackDelivery>;
  userPressesButton(
    userId: number,
    payload: unknown,
    conversationMessageId?: number,
  ): Promise<CallbackDelivery>;
  userJoins(userId: number): Promise<CallbackDelivery>;
  userLeaves(userId: number): Promise<CallbackDelivery>;
  userAllowsMessages(userId: number, key?: string): Promise<CallbackDelivery>;
  userDeniesMessages(userId: number): Promise<CallbackDelivery>;
}

/**
 * The sandbox's HTTP surface: `/method/<name>` is the VK API; `/sandbox/*` reads the records
 * (`sent`, `calls`, `deliveries`, `event-answers`), resets, injects faults and plays users, admins
 * and chat members acting.
 */
export async function route(
  request: IncomingMessage,
  response: ServerResponse,
  sandbox: SandboxControls,
  api: ApiSteps,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const body = await readBody(request);
  if (url.pathname.startsWith('/method/'))
    return answerApiRequest(url.pathname.slice('/method/'.length), body, url, response, api);

  const send = (status: number, value: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };
  if (request.method === 'GET' && url.pathname === '/sandbox/sent') return send(200, sandbox.sent);
  if (request.method === 'GET' && url.pathname === '/sandbox/calls') return send(200, sandbox.calls);
  if (request.method === 'GET' && url.pathname === '/sandbox/deliveries')
    return send(200, sandbox.deliveries);
  if (request.method === 'GET' && url.pathname === '/sandbox/event-answers')
    return send(200, sandbox.eventAnswers);
  if (request.method === 'POST' && url.pathname === '/sandbox/reset') {
    sandbox.reset();
    return send(200, { ok: true });
  }
  if (request.method === 'POST' && url.pathname === '/sandbox/faults') {
    const fault = JSON.parse(body || '{}') as Partial<Fault> & Pick<Fault, 'error'>;
    sandbox.injectFault({ ...fault, times: fault.times ?? 1 });
    return send(200, { ok: true, faults: sandbox.faults });
  }
  const admin = /^\/sandbox\/admins\/(\d+)\/dialogs\/(\d+)$/.exec(url.pathname);
  if (request.method === 'POST' && admin) {
    const input = (body ? JSON.parse(body) : {}) as { text?: string };
    return send(200, await sandbox.adminWrites(Number(admin[1]), Number(admin[2]), input.text ?? ''));
  }
  const chat = /^\/sandbox\/chats\/(\d+)\/(messages|press)$/.exec(url.pathname);
  if (request.method === 'POST' && chat) {
    const input = (body ? JSON.parse(body) : {}) as {
      from?: number;
      text?: string;
      replyTo?: number;
      payload?: unknown;
    };
    const peerId = Number(chat[1]);
    const from = Number(input.from ?? 0);
    return send(
      200,
      chat[2] === 'messages'
        ? await sandbox.memberWritesInChat(peerId, from, input.text ?? '', input.replyTo)
        : await sandbox.memberPressesInChat(peerId, from, input.payload ?? {}),
    );
  }
  const membership = /^\/sandbox\/chats\/(\d+)\/members\/(\d+)\/(leave|join)$/.exec(url.pathname);
  if (request.method === 'POST' && membership) {
    const input = (body ? JSON.parse(body) : {}) as { by?: number };
    const [peerId, memberId] = [Number(membership[1]), Number(membership[2])];
    const by = Number(input.by ?? memberId);
    return send(
      200,
      membership[3] === 'leave'
        ? await sandbox.memberLeavesChat(peerId, memberId, by)
        : await sandbox.memberJoinsChat(peerId, memberId, by),
    );
  }
  const acting = /^\/sandbox\/users\/(\d+)\/(messages|press|join|leave|allow|deny)$/.exec(url.pathname);
  if (request.method === 'POST' && acting) {
    const userId = Number(acting[1]);
    const input = (body ? JSON.parse(body) : {}) as UserMessageOptions & {
      text?: string;
      conversationMessageId?: number;
      key?: string;
    };
    const action = acting[2];
    const delivery =
      action === 'messages'
        ? await sandbox.userSendsMessage(userId, input.text ?? '', {
            ...(input.payload === undefined ? {} : { payload: input.payload }),
            ...(input.photos ? { photos: input.photos } : {}),
            ...(input.buttonActions ? { buttonActions: input.buttonActions } : {}),
            ...(input.langId === undefined ? {} : { langId: input.langId }),
          })
        : action === 'press'
          ? await sandbox.userPressesButton(userId, input.payload ?? {}, input.conversationMessageId)
          : action === 'join'
            ? await sandbox.userJoins(userId)
            : action === 'leave'
              ? await sandbox.userLeaves(userId)
              : action === 'allow'
                ? await sandbox.userAllowsMessages(userId, input.key)
                : await sandbox.userDeniesMessages(userId);
    return send(200, delivery);
  }
  return send(404, { error: 'unknown sandbox route' });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
