import { backoffDelay, sleep } from './backoff';
import type { RetryOptions } from './client-options';
import { InferClientError } from './errors';

/** What a failed error names: the method (HTTP verb or RPC) and the URL (or gRPC address). @internal */
export interface CallContext {
  method: string;
  url: string;
}

/** The client's deadline and retry policy. @internal */
export interface CallPolicy {
  timeoutMs: number;
  retry: Required<RetryOptions> | undefined;
}

/**
 * How one attempt failed, as a transport classifies it: `transport` for "no answer" (a
 * network failure, or the call cut by the signal or the deadline), `retryable` for failures
 * worth another attempt (network, HTTP 503, gRPC UNAVAILABLE), `retryAfterSeconds` when the
 * server asked for a pause, `timedOut` when the transport itself saw the deadline pass.
 *
 * @internal
 */
export interface AttemptFailure {
  error: InferClientError;
  transport?: boolean;
  retryable?: boolean;
  retryAfterSeconds?: number | undefined;
  timedOut?: boolean;
}

/** One attempt: its value, or how it failed. @internal */
export type AttemptOutcome<T> = { value: T } | { failure: AttemptFailure };

/** What one attempt is given. @internal */
export interface AttemptContext {
  /**
   * Aborts when the caller's signal aborts or the deadline passes; `undefined` when the call
   * has neither (nothing can stop it, and no AbortSignal is made: one costs ~10 µs on Node 20).
   */
  signal: AbortSignal | undefined;
  /** Absolute deadline (ms since the epoch), `Infinity` for none. */
  deadline: number;
  /** This attempt's number, from 1. */
  attempts: number;
}

/**
 * Runs attempts of one call under the deadline (`timeoutMs`, retries included), the
 * caller's signal and the retry policy, the same for every transport: a retryable failure
 * is retried after a backoff (or the server's `Retry-After`) while retries are left and the
 * wait ends before the deadline; a transport failure after the signal or the deadline fired
 * becomes `INFER_CLIENT_ERR_ABORTED` or `INFER_CLIENT_ERR_TIMEOUT`.
 *
 * @internal
 */
export async function retryingCall<T>(
  policy: CallPolicy,
  context: CallContext,
  call: { signal?: AbortSignal | undefined; timeoutMs?: number | undefined },
  attempt: (attempt: AttemptContext) => Promise<AttemptOutcome<T>>,
): Promise<T> {
  const { signal } = call;
  if (signal?.aborted) throw abortedError(signal, context, 0);
  const timeoutMs = call.timeoutMs ?? policy.timeoutMs;
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  // Our own controller only for a deadline; the caller's signal alone is passed on as is.
  const controller = timeoutMs > 0 ? new AbortController() : undefined;
  const active = controller?.signal ?? signal;
  let timedOut = false;
  const onAbort = () => controller?.abort(signal?.reason);
  if (controller !== undefined) signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    controller !== undefined
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  const retry = policy.retry;
  let attempts = 0;
  const stopped = () =>
    timedOut
      ? timeoutError(timeoutMs, context, attempts)
      : abortedError(signal!, context, attempts);
  try {
    for (;;) {
      if (active?.aborted) throw stopped();
      attempts += 1;
      const outcome = await attempt({ signal: active, deadline, attempts });
      if ('value' in outcome) return outcome.value;
      const { failure } = outcome;
      if (failure.timedOut) throw timeoutError(timeoutMs, context, attempts);
      if (failure.transport && active?.aborted) throw stopped();
      if (failure.retryable && retry !== undefined && attempts <= retry.retries) {
        const delay =
          failure.retryAfterSeconds !== undefined
            ? failure.retryAfterSeconds * 1000
            : backoffDelay(retry, attempts);
        if (Date.now() + delay < deadline) {
          await sleep(delay, active).catch(() => undefined);
          continue;
        }
      }
      throw failure.error;
    }
  } finally {
    clearTimeout(timer);
    if (controller !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

function abortedError(signal: AbortSignal, context: CallContext, attempts: number) {
  return new InferClientError(
    'INFER_CLIENT_ERR_ABORTED',
    `${context.method} ${context.url} was aborted`,
    { ...context, attempts, cause: signal.reason },
  );
}

function timeoutError(timeoutMs: number, context: CallContext, attempts: number) {
  return new InferClientError(
    'INFER_CLIENT_ERR_TIMEOUT',
    `${context.method} ${context.url} timed out after ${timeoutMs} ms`,
    { ...context, attempts },
  );
}
