import { InferError } from '@infer/core';
import type { TfjsBackendAttempt } from './tfjs-backend';

/**
 * No TF.js backend could be initialised (or the one asked for strictly failed). Lists
 * every backend tried and why each failed, like onnxruntime's backend resolution.
 * Thrown from `load()`, so it surfaces as a model that failed to load.
 *
 * @example
 * try { await model.load(); } catch (e) { if (TfjsBackendError.isInstance(e)) console.log(e.tried); }
 */
export class TfjsBackendError extends InferError {
  static readonly code = 'INFER_ERR_MODEL_LOAD_FAILED';
  /** Every backend tried, in order, and why it failed. */
  readonly tried: readonly TfjsBackendAttempt[];
  constructor(message: string, tried: readonly TfjsBackendAttempt[]) {
    const details = tried.map((attempt) => `  - ${attempt.backend}: ${attempt.reason}`).join('\n');
    super('INFER_ERR_MODEL_LOAD_FAILED', `${message}\n${details}`);
    this.name = 'TfjsBackendError';
    this.tried = tried;
  }
}
