import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_SERVING_OPTIONS, SERVING_OPTION_KEYS, type ServingOptionsV1 } from '../src/index';
import { resolveServingOptions } from '../src/serving-options';

describe('SERVING_OPTION_KEYS', () => {
  it('names every key of ServingOptionsV1 (checked by the compiler) and no other', () => {
    type Listed = (typeof SERVING_OPTION_KEYS)[number];
    expectTypeOf<Exclude<keyof ServingOptionsV1, Listed>>().toEqualTypeOf<never>();
    expectTypeOf<Exclude<Listed, keyof ServingOptionsV1>>().toEqualTypeOf<never>();
  });

  it('names every serving knob a model carries, each one resolveServingOptions applies', () => {
    expect([...SERVING_OPTION_KEYS].sort()).toEqual(
      ['batching', 'maxQueueSize', 'timeoutMs', 'warmup', 'workers'].sort(),
    );
    const given = {
      batching: { maxBatchSize: 4, maxBatchDelayMs: 2 },
      maxQueueSize: 7,
      timeoutMs: 1234,
      workers: 0,
      warmup: true,
    };
    expect(Object.keys(given).sort()).toEqual([...SERVING_OPTION_KEYS].sort());
    const resolved = resolveServingOptions(given, {});
    expect(resolved).toMatchObject({
      maxBatchSize: 4,
      maxBatchDelayMs: 2,
      maxQueueSize: 7,
      timeoutMs: 1234,
      warmup: true,
    });
    // The defaults cover the same knobs.
    expect(resolveServingOptions(undefined, {})).toMatchObject({
      maxQueueSize: DEFAULT_SERVING_OPTIONS.maxQueueSize,
      timeoutMs: DEFAULT_SERVING_OPTIONS.timeoutMs,
    });
  });
});
