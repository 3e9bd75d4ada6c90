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

/** Causes followed in a logged error (pino's serializer follows them all). */
const MAX_CAUSES = 4;

/**
 * An error as pino's standard serializer writes it: type, message, code, stack, and its
 * `cause` the same way, so the line that carries the request id also says what failed
 * underneath and where.
 */
function serializeError(error: Error, depth = 0): Record<string, unknown> {
  const { code } = error as { code?: unknown };
  const out: Record<string, unknown> = { type: error.name, message: error.message };
  if (code !== undefined) out.code = code;
  if (error.stack !== undefined) out.stack = error.stack;
  const { cause } = error as { cause?: unknown };
  if (cause instanceof Error && depth < MAX_CAUSES) out.cause = serializeError(cause, depth + 1);
  else if (cause !== undefined && !(cause instanceof Error)) out.cause = String(cause);
  return out;
}

/**
 * The CLI's logger: pino-compatible, one JSON line per entry on `stream` (stderr), at or
 * above `level`; errors carry their type, code, stack and causes, as pino writes them.
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
      entry[key] = value instanceof Error ? serializeError(value) : value;
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
