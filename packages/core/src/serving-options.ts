import type { InferenceRequest } from '@infer/codecs';
import { InvalidOptionError } from './errors';
import type { ServingOptionsV1 } from './spec';

/**
 * Defaults of every serving knob: adaptive batch size, no extra wait, 1024 queued requests,
 * 30 s timeout, in-process (no workers), no warm-up.
 *
 * @example
 * DEFAULT_SERVING_OPTIONS.timeoutMs; // 30000
 */
export const DEFAULT_SERVING_OPTIONS = Object.freeze({
  maxBatchSize: 'auto' as number | 'auto',
  maxBatchDelayMs: 0,
  maxQueueSize: 1024,
  timeoutMs: 30_000,
  workers: 0,
  warmup: false as boolean | InferenceRequest,
});

/**
 * The most worker threads one model may have: each holds a copy of the model, so a larger
 * number is a typo that would exhaust memory (and thread limits) before anything loads.
 *
 * @internal
 */
export const MAX_WORKERS = 256;

/**
 * The keys of `ServingOptionsV1`: the serving knobs a runtime's model options carry beside
 * its own, which a runtime that refuses unknown options must accept.
 *
 * @example
 * const known = new Set(['name', 'path', ...SERVING_OPTION_KEYS]);
 */
export const SERVING_OPTION_KEYS = [
  'batching',
  'maxQueueSize',
  'timeoutMs',
  'workers',
  'warmup',
] as const satisfies readonly (keyof ServingOptionsV1)[];

/** Serving options after merging (call options > model's own > defaults) and validation. */
export interface ResolvedServingOptions {
  /** False when batching was turned off (`batching: false`). */
  batching: boolean;
  maxBatchSize: number | 'auto';
  maxBatchDelayMs: number;
  maxQueueSize: number;
  timeoutMs: number;
  workers: number;
  warmup: boolean | InferenceRequest;
}

const isNonNegativeInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function check(ok: boolean, path: string, requirement: string): void {
  if (!ok) throw new InvalidOptionError(path, requirement);
}

/**
 * Merges serving options (later sources win; `batching: false` anywhere later turns batching
 * off) and validates them; messages name the path (`options.workers must be ...`).
 *
 * @internal
 * @example
 * resolveServingOptions(model.serving, { workers: 2 }).workers; // 2
 */
export function resolveServingOptions(
  ...sources: (ServingOptionsV1 | undefined)[]
): ResolvedServingOptions {
  const resolved: ResolvedServingOptions = { batching: true, ...DEFAULT_SERVING_OPTIONS };
  for (const source of sources) {
    if (source === undefined) continue;
    check(typeof source === 'object' && source !== null, 'options', 'must be an object');
    const { batching } = source;
    if (batching === false) {
      resolved.batching = false;
    } else if (batching !== undefined) {
      check(
        typeof batching === 'object' && batching !== null,
        'options.batching',
        'must be false or an object',
      );
      resolved.batching = true;
      if (batching.maxBatchSize !== undefined) {
        const size = batching.maxBatchSize;
        check(
          size === 'auto' || (isNonNegativeInteger(size) && size > 0),
          'options.batching.maxBatchSize',
          "must be a positive integer or 'auto'",
        );
        resolved.maxBatchSize = size;
      }
      if (batching.maxBatchDelayMs !== undefined) {
        const delay = batching.maxBatchDelayMs;
        check(
          typeof delay === 'number' && Number.isFinite(delay) && delay >= 0,
          'options.batching.maxBatchDelayMs',
          'must be a non-negative number of ms',
        );
        resolved.maxBatchDelayMs = delay;
      }
    }
    if (source.maxQueueSize !== undefined) {
      check(
        isNonNegativeInteger(source.maxQueueSize) && source.maxQueueSize > 0,
        'options.maxQueueSize',
        'must be a positive integer',
      );
      resolved.maxQueueSize = source.maxQueueSize;
    }
    if (source.timeoutMs !== undefined) {
      const timeout = source.timeoutMs;
      check(
        typeof timeout === 'number' && Number.isFinite(timeout) && timeout >= 0,
        'options.timeoutMs',
        'must be a non-negative number of ms (0 = none)',
      );
      resolved.timeoutMs = timeout;
    }
    if (source.workers !== undefined) {
      check(
        isNonNegativeInteger(source.workers) && source.workers <= MAX_WORKERS,
        'options.workers',
        `must be an integer from 0 to ${MAX_WORKERS}`,
      );
      resolved.workers = source.workers;
    }
    if (source.warmup !== undefined) {
      const warmup = source.warmup;
      check(
        typeof warmup === 'boolean' ||
          (typeof warmup === 'object' && warmup !== null && Array.isArray(warmup.inputs)),
        'options.warmup',
        'must be a boolean or an inference request with inputs',
      );
      resolved.warmup = warmup;
    }
  }
  return resolved;
}
