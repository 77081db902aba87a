import type { RandomFaults } from './faults';

/** How a sandbox is set up; see `VkSandbox` for what it plays. */
export interface SandboxOptions {
  groupId: number;
  callbackSecret: string;
  /** Where played events go, e.g. http://127.0.0.1:8080/vk/callback. Settable later. */
  callbackUrl?: string;
  /** Requests per second per access token before error 6 (an `execute` is one); 0 for no limit. */
  rateLimitPerSecond?: number;
  apiVersion?: string;
  /** Group chats the community is in, with their members (`messages.getConversationMembers`). */
  chatMembers?: Record<number, number[]>;
  /** Echo community messages to users back as `message_reply` callbacks, as VK does (default true). */
  echoReplies?: boolean;
  log?: (line: string) => void;
  /** The sandbox's idea of now for VK's per-user notification limits (a test's clock); default real time. */
  now?: () => number;
  /** What `groups.getCallbackConfirmationCode` answers; VK expects it back from a new server. */
  confirmationCode?: string;
  /** A share of calls (of one method, or any) failing at random with one of `errors`: a flaky VK. */
  randomFaults?: RandomFaults;
}

/** The options with their defaults filled in; the optional ones may be set while the sandbox runs. */
export type ResolvedSandboxOptions = Required<
  Omit<SandboxOptions, 'callbackUrl' | 'log' | 'now' | 'randomFaults'>
> &
  Pick<SandboxOptions, 'callbackUrl' | 'log' | 'now' | 'randomFaults'>;

export interface RecordedCall {
  method: string;
  params: Record<string, string>;
  at: number;
  /** What the sandbox answered: `ok`, `duplicate`, `error <code>`, `http 500` or `timeout`. */
  outcome: string;
  /**
   * The JSON the sandbox answered, as the client read it (for a call inside `execute`, its result or
   * the error its `execute_errors` entry carries); absent where no answer came: HTTP 500, a timeout,
   * a lost answer.
   */
  answer?: RecordedAnswer;
  /** Set on a call made inside an `execute` request (recorded before that request itself). */
  via?: 'execute';
}

/** VK's answer to an API call: `response` (with `execute_errors` for `execute`), or `error`. */
export type RecordedAnswer =
  | {
      response: unknown;
      execute_errors?: Array<{ method: string; error_code: number; error_msg: string }>;
    }
  | {
      error: {
        error_code: number;
        error_msg: string;
        request_params?: Array<{ key: string; value: string }>;
      };
    };

export interface SentMessage {
  messageId: number;
  peerId: number;
  text: string;
  keyboard: unknown;
  randomId: number;
  conversationMessageId: number;
}

export interface CallbackDelivery {
  type: string;
  eventId: string;
  status: number;
  answer: string;
}

/** A `messages.sendMessageEventAnswer` call: what the user saw after pressing a callback button. */
export interface EventAnswer {
  eventId: string;
  userId: number;
  peerId: number;
  eventData: unknown;
}

/** An accepted `notifications.sendMessage` call; `userIds` are the users it reached. */
export interface NotificationRecord {
  userIds: number[];
  text: string;
  fragment?: string;
}

/** One of the community's Callback API servers, as `groups.getCallbackServers` lists it. */
export interface CallbackServer {
  id: number;
  title: string;
  url: string;
  secret_key: string;
  status: string;
  creator_id: number;
}

/** A callback server's settings, as `groups.getCallbackSettings` answers. */
export interface CallbackSettings {
  api_version: string;
  events: Record<string, boolean>;
}

/** The sandbox's options and the state VK keeps that API methods read and change. */
export interface SandboxState {
  readonly options: ResolvedSandboxOptions;
  /** Users who wrote to the community or allowed its messages: VK lets it write only to them. */
  readonly allowed: Set<number>;
  readonly sent: SentMessage[];
  readonly eventAnswers: EventAnswer[];
  readonly notifications: NotificationRecord[];
  readonly notificationsOff: ReadonlySet<number>;
  readonly appNotInstalled: ReadonlySet<number>;
  readonly callbackServers: CallbackServer[];
  readonly callbackSettings: Map<number, CallbackSettings>;
}

/** What a user's message may carry besides its text (`VkSandbox.userSendsMessage`). */
export interface UserMessageOptions {
  payload?: unknown;
  buttonActions?: string[];
  langId?: number;
  photos?: number;
}
