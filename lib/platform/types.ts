import type { Handler } from '@yandex-cloud/function-types';
import type { Http } from '@yandex-cloud/function-types/dist/src/http';
import type { MessageQueue } from '@yandex-cloud/function-types/dist/src/triggers/messageQueue';
import type { Timer } from '@yandex-cloud/function-types/dist/src/triggers/timer';

/**
 * The Yandex Cloud Functions event shapes, from `@yandex-cloud/function-types`, extended where the
 * package lags the platform: API Gateway (payload 0.1) adds `url`, `path`, `pathParams`, `params`,
 * and the timer trigger may carry a `payload` (both documented by Yandex, missing in the types).
 */
export type HttpEvent = Http.Event & {
  /** Through API Gateway: the path template, e.g. `/api/tickets/{number}`. */
  path?: string;
  /** Through API Gateway: the request's real path with its query string. */
  url?: string;
  pathParams?: Record<string, string>;
  params?: Record<string, string>;
  multiValueParams?: Record<string, string[]>;
};
export type HttpResult = Http.Result;

export type TimerEvent = {
  messages: Array<
    Timer.Event['messages'][number] & {
      details: Timer.Event['messages'][number]['details'] & { payload?: string };
    }
  >;
};

export type QueueEvent = MessageQueue.Event;
export type QueueEventMessage = QueueEvent['messages'][number];

export type FunctionContext = Parameters<Handler.Http>[1];

export type HttpHandler = (event: HttpEvent, context: FunctionContext) => Promise<HttpResult>;
export type TimerHandler = (event: TimerEvent, context: FunctionContext) => Promise<unknown>;
export type QueueHandler = (event: QueueEvent, context: FunctionContext) => Promise<unknown>;
