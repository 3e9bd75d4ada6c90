import type { Logger } from '../logger';
import type { LOG_LEVELS } from '../settings/server-settings';

type Level = (typeof LOG_LEVELS)[number];
const ORDER: Record<Level, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: 99,
};

/**
 * The CLI's logger: pino-compatible, one JSON line per entry on `stream` (stderr), at or
 * above `level`.
 *
 * @example
 * const logger = createConsoleLogger('debug', process.stderr);
 */
export function createConsoleLogger(
  level: Level,
  stream: NodeJS.WritableStream,
  bindings: Record<string, unknown> = {},
): Logger {
  const write = (at: Exclude<Level, 'silent'>) => (object: object, message?: string) => {
    if (ORDER[at] < ORDER[level]) return;
    const entry: Record<string, unknown> = {
      level: at,
      time: new Date().toISOString(),
      ...bindings,
    };
    for (const [key, value] of Object.entries(object)) {
      entry[key] =
        value instanceof Error
          ? { message: value.message, code: (value as { code?: unknown }).code }
          : value;
    }
    if (message !== undefined) entry.msg = message;
    stream.write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => createConsoleLogger(level, stream, { ...bindings, ...more }),
  };
}
