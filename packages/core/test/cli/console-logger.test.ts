import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createConsoleLogger } from '../../src/cli/console-logger';
import { ModelFailedError } from '../../src/errors';

function capture(level: 'info' | 'debug' = 'info') {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      lines.push(JSON.parse(line));
    }
  });
  return { logger: createConsoleLogger(level, stream, { pid: 1 }), lines };
}

describe('createConsoleLogger', () => {
  it('writes one JSON line per entry at or above its level, with its bindings', async () => {
    const { logger, lines } = capture('info');
    logger.debug({ a: 1 }, 'hidden');
    logger.child?.({ model: 'm' }).info({ a: 2 }, 'shown');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', pid: 1, model: 'm', a: 2, msg: 'shown' });
  });

  it('writes an error as pino does: type, message, code, stack and its causes', async () => {
    const { logger, lines } = capture();
    const cause = new RangeError('CUDA out of memory');
    logger.error(
      { requestId: 'req-42', err: new ModelFailedError({ model: 'boom', cause }) },
      'request failed',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const err = lines[0]!.err as Record<string, unknown>;
    expect(lines[0]!.requestId).toBe('req-42');
    expect(err).toMatchObject({ type: 'ModelFailedError', code: 'INFER_ERR_MODEL_FAILED' });
    expect(err.stack).toMatch(/ModelFailedError/);
    expect(err.cause).toMatchObject({ type: 'RangeError', message: 'CUDA out of memory' });
    expect((err.cause as { stack: string }).stack).toMatch(/RangeError: CUDA out of memory/);
  });
});
