import { InvalidOptionError } from './errors';

/**
 * A pino-compatible logger: any object with `debug`, `info`, `warn` and `error` taking
 * `(object, message)`; `child(bindings)` is used when present. pino, bunyan-style loggers
 * and `console` fit.
 *
 * @example
 * const service = new InferenceService({ repository, logger: pino({ level: 'debug' }) });
 */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};

/**
 * The default logger: says nothing.
 *
 * @example
 * silentLogger.info({ model: 'm' }, 'loaded'); // no output
 */
export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
});

/**
 * A child logger with `bindings` when the logger supports it, else the logger itself.
 *
 * @internal
 * @example
 * const log = childLogger(logger, { model: 'm' });
 */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return typeof logger.child === 'function' ? logger.child(bindings) : logger;
}

/**
 * Checks a user-supplied logger has the four methods; `path` names the option.
 *
 * @internal
 * @example
 * assertLogger(pino(), 'options.logger');
 */
export function assertLogger(logger: unknown, path: string): asserts logger is Logger {
  const candidate = logger as Record<string, unknown> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    !['debug', 'info', 'warn', 'error'].every((level) => typeof candidate[level] === 'function')
  ) {
    throw new InvalidOptionError(
      path,
      'must have debug, info, warn and error methods (pino-compatible)',
    );
  }
}
