import type { RetryOptions } from './client-options';

/**
 * The longest wait in ms (about 24.8 days); longer deadlines and retry waits are cut to it.
 * setTimeout runs a delay past 2^31-1 ms at once (Node after 1 ms), and a grpc-js server
 * fails at once a gRPC deadline past it (sent in whole seconds, read into 32 bits).
 *
 * @internal
 */
export const LONGEST_WAIT = 2_147_483_000;

/**
 * Delay before retry number `attempt` (1-based): exponential from `minDelayMs`, capped at
 * `maxDelayMs`, with "equal jitter" (half fixed, half random) so clients spread out.
 *
 * @internal
 */
export function backoffDelay(retry: Required<RetryOptions>, attempt: number): number {
  const exponential = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** (attempt - 1));
  return exponential / 2 + Math.random() * (exponential / 2);
}

/**
 * Runs `fire` after `ms`, or after {@link LONGEST_WAIT} when `ms` is longer.
 *
 * @internal
 */
export function startTimer(ms: number, fire: () => void): ReturnType<typeof setTimeout> {
  return setTimeout(fire, Math.min(ms, LONGEST_WAIT));
}

/**
 * `promise`'s value, or `undefined` as soon as `signal` aborts (what `promise` does later is
 * ignored). For waits the signal cannot cut itself: a timer, a `headers()` function, a
 * `fetch` that ignores its signal.
 *
 * @internal
 */
export function unlessAborted<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T | undefined> {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
