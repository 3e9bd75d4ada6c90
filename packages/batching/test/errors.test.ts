import { describe, expect, it } from 'vitest';
import {
  AbortError,
  BATCHING_ERROR_CODES,
  BatchAssemblyError,
  BatcherClosedError,
  BatchingError,
  OverloadedError,
  TimeoutError,
} from '../src/index';

describe('errors', () => {
  const errors = [
    [new OverloadedError(8, 3), 'INFER_ERR_OVERLOADED', 503, 'OverloadedError'],
    [new TimeoutError(50), 'INFER_ERR_TIMEOUT', 504, 'TimeoutError'],
    [new AbortError('why'), 'INFER_ERR_ABORTED', 499, 'AbortError'],
    [new BatcherClosedError(), 'INFER_ERR_SHUTTING_DOWN', 503, 'BatcherClosedError'],
    [new BatchAssemblyError('bad'), 'INFER_ERR_BATCH_ASSEMBLY', 500, 'BatchAssemblyError'],
  ] as const;

  it.each(errors)(
    '%s carries code, status, name and the infer marker',
    (error, code, status, name) => {
      expect(error).toBeInstanceOf(BatchingError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.name).toBe(name);
      expect((error as unknown as Record<symbol, unknown>)[Symbol.for('infer.error')]).toBe(true);
    },
  );

  it('pins the code count: every code has a class above', () => {
    expect(Object.keys(BATCHING_ERROR_CODES).sort()).toEqual(
      errors.map(([, code]) => code as string).sort(),
    );
  });

  it('keeps context in typed fields and the reason in cause', () => {
    const overloaded = new OverloadedError(8, 3);
    expect(overloaded.retryAfterSeconds).toBe(3);
    expect(overloaded.message).toBe('queue full (8 items); retry after 3 s');
    const reason = new Error('socket closed');
    expect(new AbortError(reason).cause).toBe(reason);
    expect(new TimeoutError(50).timeoutMs).toBe(50);
  });
});
