import { availableParallelism } from 'node:os';
import { availableCores, CORES_VARIABLE } from '@infer/core';
import { describe, expect, it, vi } from 'vitest';

describe('availableCores', () => {
  it('is INFER_CORES when that is a positive integer', () => {
    expect(CORES_VARIABLE).toBe('INFER_CORES');
    expect(availableCores({ INFER_CORES: '3' })).toBe(3);
    expect(availableCores({ INFER_CORES: '64' })).toBe(64);
  });

  it('is os.availableParallelism() when unset or empty', () => {
    expect(availableCores({})).toBe(availableParallelism());
    expect(availableCores({ INFER_CORES: '' })).toBe(availableParallelism());
  });

  it('ignores a value that is not a positive integer, warning once', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      for (const value of ['0', '-2', '1.5', 'four', ' 2']) {
        expect(availableCores({ INFER_CORES: value })).toBe(availableParallelism());
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain(
        'INFER_CORES="0" is not a positive integer',
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('reads process.env by default', () => {
    vi.stubEnv('INFER_CORES', '5');
    try {
      expect(availableCores()).toBe(5);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
