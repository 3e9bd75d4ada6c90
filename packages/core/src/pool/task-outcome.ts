/**
 * How a Piscina outcome becomes what `pool.run()` settles with. Model errors come back as
 * replies (the thread lives on); a rejection means Piscina could not deliver the task or
 * the thread died.
 *
 * @internal
 */
import { InferError, ShuttingDownError, WorkerCrashedError } from '../errors';
import type { PredictResult } from '../spec';
import { deserializeError, type WorkerReply } from './worker-protocol';

/**
 * The result of a worker's reply, or the model's error rebuilt in this thread.
 *
 * @example
 * const outcome = outcomeOfReply(reply); // { result } | { error }
 */
export function outcomeOfReply(
  reply: WorkerReply,
): { result: PredictResult; error?: undefined } | { error: Error } {
  if (reply.kind === 'result') {
    const result: PredictResult = { outputs: reply.outputs };
    if (reply.parameters !== undefined) result.parameters = reply.parameters;
    return { result };
  }
  if (reply.kind === 'error') return { error: deserializeError(reply.error) };
  return { error: new InferError('INFER_ERR_INTERNAL', `unexpected worker reply ${reply.kind}`) };
}

/** What was true when Piscina rejected a task. */
export interface RejectionContext {
  model: string;
  /** No thread died since the task was submitted. */
  noRestartSince: boolean;
  /** The pool is terminating its threads (close timed out, or every thread died). */
  destroying: boolean;
}

/**
 * The error for a task Piscina rejected: a send failure (`DataCloneError` from
 * `postMessage`, no thread died) is internal; during termination it is a shutdown; any
 * other rejection is the thread dying under the task, `WorkerCrashedError`.
 *
 * @example
 * record.reject(errorOfRejection(error, { model: 'm', noRestartSince: false, destroying: false }));
 */
export function errorOfRejection(error: unknown, context: RejectionContext): InferError {
  if (error instanceof Error && error.name === 'DataCloneError' && context.noRestartSince) {
    return new InferError(
      'INFER_ERR_INTERNAL',
      `The request could not be sent to a worker thread: ${error.message}`,
      { cause: error },
    );
  }
  if (context.destroying) {
    return new ShuttingDownError('The worker pool closed before the task ran', { cause: error });
  }
  return new WorkerCrashedError({ model: context.model, cause: error });
}
