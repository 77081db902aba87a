import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { OffsetClock } from '../../lib/clock';
import { describeError } from '../../lib/errors';
import type { Logger } from '../../lib/log/logger';

/** Where the local stack keeps its dev clock's offset, beside `local.sqlite`. */
export function devClockFile(dataDir: string): string {
  return join(dataDir, 'dev-clock.json');
}

/**
 * The local stack's dev clock: real time plus the offset `POST /dev/clock/advance` adds, kept in
 * `DATA_DIR/dev-clock.json` so a restart goes on where the last run was. The file is written whole
 * on each advance (a temporary file, fsync, rename); one that is missing starts at 0, one that
 * can't be read or makes no sense starts at 0 with a warning, and is replaced on the next advance.
 */
export function persistedDevClock(dataDir: string, logger: Logger): OffsetClock {
  const file = devClockFile(dataDir);
  return new OffsetClock(readOffset(file, logger), (offset) => writeOffset(file, offset));
}

function readOffset(file: string, logger: Logger): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    logger.warn('dev clock file unreadable; the dev clock starts at offset 0', {
      file,
      error: describeError(error),
    });
    return 0;
  }
  try {
    const offset = (JSON.parse(text) as { offsetMs?: unknown } | null)?.offsetMs;
    if (typeof offset === 'number' && Number.isFinite(offset) && offset >= 0) return offset;
  } catch {
    // reported below
  }
  logger.warn('dev clock file is not {"offsetMs": <non-negative number>}; the dev clock starts at offset 0', {
    file,
  });
  return 0;
}

function writeOffset(file: string, offset: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const body = `${JSON.stringify({ offsetMs: offset, offsetMinutes: offset / 60_000, savedAt: new Date().toISOString() })}\n`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    const descriptor = openSync(temporary, 'w');
    try {
      writeSync(descriptor, body);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
