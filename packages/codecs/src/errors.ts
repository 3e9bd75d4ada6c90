const MARKER = Symbol.for('infer.error');

/** Where a `CodecError` happened: the tensor's name and the element index, when known. */
export interface CodecErrorOptions {
  /** Name of the input (or output) tensor the error is about. */
  input?: string | undefined;
  /** Row-major element index inside that tensor's data. */
  index?: number | undefined;
  /** The underlying error, e.g. a `SyntaxError` from `JSON.parse`. */
  cause?: unknown;
}

/**
 * A malformed Open Inference Protocol payload (bad JSON, wrong datatype, shape/data
 * mismatch, out-of-range value, lying binary sizes...). Servers answer it with HTTP 400.
 *
 * @example
 * try { decodeInferenceRequest('{"inputs": 1}'); } catch (e) { if (CodecError.isInstance(e)) console.log(e.code, e.message); }
 */
export class CodecError extends Error {
  /** Stable machine-readable code, mapped to HTTP 400 by `@infer/core`. */
  readonly code = 'INFER_ERR_CODEC' as const;
  /** Name of the tensor the error is about, when there is one. */
  declare readonly input?: string;
  /** Row-major element index inside the tensor data, when the error is about one element. */
  declare readonly index?: number;
  /** @internal marker shared by every @infer error, so checks work across package copies. */
  readonly [MARKER] = true;

  constructor(message: string, options: CodecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CodecError';
    if (options.input !== undefined) this.input = options.input;
    if (options.index !== undefined) this.index = options.index;
  }

  /**
   * True for a `CodecError` from any copy of `@infer/codecs` (checks the shared marker and
   * the code rather than `instanceof`).
   *
   * @example
   * CodecError.isInstance(new CodecError('bad')); // true
   */
  static isInstance(error: unknown): error is CodecError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { code?: unknown }).code === 'INFER_ERR_CODEC'
    );
  }
}
