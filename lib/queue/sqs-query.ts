import { AwsClient } from 'aws4fetch';
import { AppError } from '../errors';

/**
 * The SQS API over the AWS Query protocol, the one Yandex Message Queue documents: a form-encoded
 * `POST /` with `Action` and `Version=2012-11-05`, signed with SigV4, answered in XML. A few dozen
 * lines over aws4fetch's signer instead of an SDK: see the README ("Message Queue protocol").
 */
export const QUERY_API_VERSION = '2012-11-05';

export interface SqsQueryClientOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Bounds each attempt, reading the answer included. Default 5000. */
  timeoutMs?: number;
  /** Attempts of a call that failed in a way worth retrying. Default 3. */
  maxAttempts?: number;
}

/** A failed call: the service's error code (or `Timeout` / `NetworkError` when nothing came back) and HTTP status. */
export class MessageQueueError extends AppError {
  readonly action: string;
  readonly awsCode: string;
  /** 0 when no answer came. */
  readonly status: number;
  readonly retryable: boolean;

  constructor(
    action: string,
    details: { awsCode: string; status: number; message: string; retryable: boolean },
    options?: { cause?: unknown },
  ) {
    super(
      'queue_api',
      `${action}: ${details.awsCode}${details.message ? ` (${details.message})` : ''}`,
      options,
    );
    this.action = action;
    this.awsCode = details.awsCode;
    this.status = details.status;
    this.retryable = details.retryable;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), action: this.action, awsCode: this.awsCode, status: this.status };
  }
}

/** Codes SQS and Message Queue answer when the caller should slow down or the service hiccupped. */
const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'AWS.SimpleQueueService.RequestThrottled',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
]);

export class SqsQueryClient {
  readonly #signer: AwsClient;
  readonly #endpoint: string;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;

  constructor(options: SqsQueryClientOptions) {
    this.#signer = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      service: 'sqs',
      region: options.region,
      retries: 0, // retries are ours: aws4fetch's own would not cover network errors or timeouts
    });
    this.#endpoint = options.endpoint;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxAttempts = options.maxAttempts ?? 3;
  }

  /**
   * Calls `action` and returns the XML answer. Network errors, timeouts, 5xx, 429 and throttling
   * are retried with a short backoff. That is safe for every call we make, sends included: a send
   * whose answer was lost may be delivered twice, and every consumer is idempotent (at-least-once
   * delivery is the queue's contract anyway).
   */
  async call(
    action: string,
    params: Record<string, string>,
    options: { extraTimeoutMs?: number } = {},
  ): Promise<string> {
    const body = encodeQueryParams({ Action: action, Version: QUERY_API_VERSION, ...params });
    for (let attempt = 1; ; attempt++) {
      let failure: MessageQueueError;
      try {
        const request = await this.#signer.sign(this.#endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
          signal: AbortSignal.timeout(this.#timeoutMs + (options.extraTimeoutMs ?? 0)),
        });
        const response = await fetch(request);
        const text = await response.text();
        if (response.ok) return text;
        failure = errorFromResponse(action, response.status, text);
      } catch (error) {
        const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
        failure = new MessageQueueError(
          action,
          {
            awsCode: timedOut ? 'Timeout' : 'NetworkError',
            status: 0,
            message: error instanceof Error ? error.message : String(error),
            retryable: true,
          },
          { cause: error },
        );
      }
      if (!failure.retryable || attempt >= this.#maxAttempts) throw failure;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
    }
  }
}

/** 50–100 ms, then 100–200 ms: short, and jittered so that instances retrying together spread out. */
function backoffMs(attempt: number): number {
  const ceiling = 100 * 2 ** (attempt - 1);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

function errorFromResponse(action: string, status: number, text: string): MessageQueueError {
  const error = xmlBlocks(text, 'Error')[0];
  const awsCode = (error !== undefined ? xmlValue(error, 'Code') : undefined) || `HTTP ${status}`;
  const message = error !== undefined ? (xmlValue(error, 'Message') ?? '') : text.slice(0, 200);
  return new MessageQueueError(action, {
    awsCode,
    status,
    message,
    retryable: status >= 500 || status === 429 || RETRYABLE_CODES.has(awsCode),
  });
}

/**
 * The form body of a Query request. Percent-encoded as RFC 3986 asks (what the AWS SDKs send):
 * `encodeURIComponent` leaves `!'()*` alone, and spaces are `%20`, never `+`.
 */
export function encodeQueryParams(params: Record<string, string>): string {
  const encode = (value: string) =>
    encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(params)
    .map(([name, value]) => `${encode(name)}=${encode(value)}`)
    .join('&');
}

/**
 * The raw contents of every `<tag>` element, in order (`<tag/>` gives ''). The answers we read are
 * flat and known, so this targeted scan is enough: `<Message>` never matches `<MessageId>`, and an
 * element's text can't hold its own closing tag because `<` is escaped in it.
 */
export function xmlBlocks(xml: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}(?:\\s[^>]*?)?(?:/>|>([\\s\\S]*?)</${tag}>)`, 'g');
  return Array.from(xml.matchAll(pattern), (match) => match[1] ?? '');
}

/** The decoded text of the first `<tag>` element, or undefined if there is none. */
export function xmlValue(xml: string, tag: string): string | undefined {
  const block = xmlBlocks(xml, tag)[0];
  return block === undefined ? undefined : decodeXmlText(block);
}

/** `<Attribute><Name>…</Name><Value>…</Value></Attribute>` elements as a record. */
export function xmlAttributes(xml: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const block of xmlBlocks(xml, 'Attribute')) {
    const name = xmlValue(block, 'Name');
    if (name !== undefined) attributes[name] = xmlValue(block, 'Value') ?? '';
  }
  return attributes;
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Element text to a string: the five named entities, decimal and hex character references (SQS
 * sends a body's `\r` as `&#xD;`) and CDATA sections. Anything else, such as a stray `&`, is kept
 * as it came.
 */
export function decodeXmlText(raw: string): string {
  return raw.replace(
    /<!\[CDATA\[([\s\S]*?)\]\]>|&(amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);/g,
    (match, cdata: string | undefined, entity: string | undefined) => {
      if (cdata !== undefined) return cdata;
      if (entity === undefined) return match;
      if (entity.startsWith('#')) {
        const codePoint = entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
        return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : match;
      }
      return namedEntities[entity] ?? match;
    },
  );
}
