import { AppError } from '../errors';

/**
 * Errors from the VK API, one class per code the product treats differently (vk-io's `APIError`
 * per code). Codes: https://dev.vk.com/ru/reference/errors and vk-api-schema errors.json.
 */
export class VkApiError extends AppError {
  readonly errorCode: number;
  readonly method: string;
  /** Whether the same call may succeed if simply repeated a little later. */
  readonly retryable: boolean;

  constructor(method: string, errorCode: number, errorMessage: string, retryable = false) {
    super(`vk_${errorCode}`, `VK ${method} failed with ${errorCode}: ${errorMessage}`);
    this.method = method;
    this.errorCode = errorCode;
    this.retryable = retryable;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errorCode: this.errorCode, method: this.method };
  }
}

/** 6: too many requests per second. Back off and retry. */
export class VkTooManyRequestsError extends VkApiError {}
/** 10: internal server error. Retry with backoff. */
export class VkInternalError extends VkApiError {}
/** 9: flood control. Never retried blindly: the same call keeps failing for a while. */
export class VkFloodControlError extends VkApiError {}
/** 900, 901, 902: this user can't be written to now. Record it; don't retry. */
export class VkRecipientUnavailableError extends VkApiError {}
/** 5: the token is invalid or revoked: an ops problem, not a retry. */
export class VkAuthorizationError extends VkApiError {}
/** 914 message too long, 911 bad keyboard, 100 bad parameter: our request is wrong. */
export class VkBadRequestError extends VkApiError {}

/** The request never got a VK answer: network failure, timeout or an HTTP 5xx. Retryable. */
export class VkTransportError extends AppError {
  readonly method: string;
  readonly retryable = true;

  constructor(method: string, message: string, options?: { cause?: unknown }) {
    super('vk_transport', `VK ${method}: ${message}`, options);
    this.method = method;
  }
}

export function vkApiError(method: string, errorCode: number, errorMessage: string): VkApiError {
  switch (errorCode) {
    case 6:
      return new VkTooManyRequestsError(method, errorCode, errorMessage, true);
    case 10:
      return new VkInternalError(method, errorCode, errorMessage, true);
    case 9:
      return new VkFloodControlError(method, errorCode, errorMessage);
    case 900:
    case 901:
    case 902:
      return new VkRecipientUnavailableError(method, errorCode, errorMessage);
    case 5:
      return new VkAuthorizationError(method, errorCode, errorMessage);
    case 100:
    case 911:
    case 914:
      return new VkBadRequestError(method, errorCode, errorMessage);
    default:
      return new VkApiError(method, errorCode, errorMessage);
  }
}

export function isRetryableVkError(error: unknown): boolean {
  return (error instanceof VkApiError || error instanceof VkTransportError) && error.retryable;
}
