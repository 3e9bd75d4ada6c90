import { backoffDelay, LONGEST_WAIT, startTimer, unlessAborted } from './backoff';
import { checkCount, type RetryOptions } from './client-options';
import { type ClientErrorCode, InferClientError, type InferClientErrorOptions } from './errors';

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
 * worth another attempt (network, HTTP 503, gRPC UNAVAILABLE; after the error's
 * `retryAfter` when the server asked for a pause), `timedOut` when the transport itself saw
 * the deadline pass.
 *
 * @internal
 */
export interface AttemptFailure {
  error: InferClientError;
  transport?: boolean;
  retryable?: boolean;
  timedOut?: boolean;
}

/** One attempt: its value, or how it failed. @internal */
export type AttemptOutcome<T> = { value: T } | AttemptFailure;

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
 * becomes `INFER_CLIENT_ERR_ABORTED` or `INFER_CLIENT_ERR_TIMEOUT`. Each attempt is raced
 * against them, so what they cannot cut (a slow `headers()` function, a `fetch` that
 * ignores its signal) does not outlast them.
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
  // Checked here, for every call: a negative or NaN `timeoutMs` would drop the deadline.
  const timeoutMs =
    call.timeoutMs === undefined
      ? policy.timeoutMs
      : checkCount(call.timeoutMs, 'options.timeoutMs', 'ms');
  let attempts = 0;
  let timedOut = false;
  const stopped = () =>
    timedOut
      ? callError('INFER_CLIENT_ERR_TIMEOUT', context, attempts, `timed out after ${timeoutMs} ms`)
      : callError('INFER_CLIENT_ERR_ABORTED', context, attempts, 'was aborted', {
          cause: signal!.reason,
        });
  if (signal?.aborted) throw stopped();
  // Our own controller only for a deadline; the caller's signal alone is passed on as is.
  const controller = timeoutMs > 0 ? new AbortController() : undefined;
  const deadline = controller
    ? Date.now() + Math.min(timeoutMs, LONGEST_WAIT)
    : Number.POSITIVE_INFINITY;
  const active = controller?.signal ?? signal;
  const onAbort = () => controller!.abort(signal!.reason);
  if (controller) signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    controller &&
    startTimer(timeoutMs, () => {
      timedOut = true;
      controller.abort();
    });
  const retry = policy.retry;
  try {
    for (;;) {
      if (active?.aborted) throw stopped();
      attempts += 1;
      const outcome = await unlessAborted(attempt({ signal: active, deadline, attempts }), active);
      if (outcome === undefined) throw stopped();
      if ('value' in outcome) return outcome.value;
      const { error } = outcome;
      if (outcome.timedOut) timedOut = true;
      if (outcome.timedOut || (outcome.transport && active?.aborted)) throw stopped();
      if (outcome.retryable && retry && attempts <= retry.retries) {
        const { retryAfter } = error;
        const delay = retryAfter !== undefined ? retryAfter * 1000 : backoffDelay(retry, attempts);
        if (Date.now() + delay < deadline) {
          let wait!: ReturnType<typeof setTimeout>;
          await unlessAborted(
            new Promise<void>((done) => (wait = startTimer(delay, done))),
            active,
          );
          clearTimeout(wait);
          continue;
        }
      }
      throw error;
    }
  } finally {
    clearTimeout(timer);
    if (controller) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * An error about a call: the message starts with its method and URL, and the error carries
 * them and the attempts made, with `options` (`cause`, `status`...).
 *
 * @internal
 */
export function callError(
  code: ClientErrorCode,
  context: CallContext,
  attempts: number,
  what: string,
  options?: InferClientErrorOptions,
): InferClientError {
  return new InferClientError(code, `${context.method} ${context.url} ${what}`, {
    ...context,
    attempts,
    ...options,
  });
}
