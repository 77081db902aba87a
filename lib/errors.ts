/**
 * Typed errors. Every error the code raises on purpose is an `AppError` with a stable `code`; the
 * one error boundary per entry logs it once (with `toJSON()`) and maps it to the platform's answer.
 */
export class AppError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/**
 * An error with an HTTP answer. `expose` says whether `detail` may be shown to the caller: true for
 * what the caller did wrong (4xx), false for our own failures, whose details stay in the log.
 */
export class HttpError extends AppError {
  readonly status: number;
  readonly expose: boolean;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    detail: string,
    options: {
      cause?: unknown;
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(code, detail, { cause: options.cause });
    this.status = status;
    this.expose = status < 500;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status };
  }
}

/** Input that failed validation at the edge; `issues` name every bad field by its path. */
export class ValidationError extends HttpError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;

  constructor(detail: string, issues: ReadonlyArray<{ path: string; message: string }>) {
    super(400, 'validation', detail, { extensions: { errors: issues } });
    this.issues = issues;
  }
}

/** The cause chain of any thrown value, as a short string for a log line. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof AppError) {
    return { ...error.toJSON(), ...(error.cause ? { cause: describeError(error.cause) } : {}) };
  }
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      ...(error.cause ? { cause: describeError(error.cause) } : {}),
    };
  }
  return { message: String(error) };
}
