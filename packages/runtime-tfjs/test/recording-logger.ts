import type { Logger } from '@infer/core';

/** A pino-compatible logger that keeps what it was told, for assertions. */
export function recordingLogger(): Logger & {
  lines: { level: string; message: string; object: object }[];
} {
  const lines: { level: string; message: string; object: object }[] = [];
  const at =
    (level: string) =>
    (object: object, message = '') => {
      lines.push({ level, message, object });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
