/**
 * JSON-lines logger. Cloud Logging parses one JSON object per line and reads `level` and `msg`;
 * everything else lands in the entry's payload. Field names that may carry secrets or users'
 * words are redacted at every level but debug, so a careless field cannot leak a token.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values never reach the log above debug: tokens, secrets, message texts. */
const sensitiveKey = /(token|secret|password|authorization|sign$|^text$|^message$|^body$|^key$)/i;

export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line, e.g. `requestId` and `fn`. */
  child(fields: LogFields): Logger;
}

export function createLogger(
  options: { level?: LogLevel; fields?: LogFields; sink?: LogSink; now?: () => number } = {},
): Logger {
  const minimum = levelRank[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const base = options.fields ?? {};

  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (levelRank[level] < minimum) return;
    const entry = { level, msg, time: new Date(now()).toISOString(), ...base, ...fields };
    sink(JSON.stringify(entry, level === 'debug' ? jsonSafe : redact));
  };

  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function redact(key: string, value: unknown): unknown {
  if (key !== 'msg' && key !== '' && sensitiveKey.test(key) && value !== undefined && value !== null) {
    return '[redacted]';
  }
  return jsonSafe(key, value);
}

/** A logger that drops everything: for benchmarks of the bare path. */
export const silentLogger: Logger = createLogger({ sink: () => {} });
