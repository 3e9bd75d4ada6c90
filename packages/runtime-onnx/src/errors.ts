import { type InferError, InvalidInputError, ModelFailedError } from '@infer/core';

/**
 * ORT messages that mean "this request does not fit the model" (checked by ORT before or
 * while running a node): a dynamic dim that breaks a Reshape, a value out of a kernel's range.
 * The request already passed every static check the model declares, so a kernel failure on
 * it is caused by its data.
 */
const INPUT_ERRORS = [
  /Got invalid dimensions for input/,
  /Invalid rank for input/,
  /Unexpected input data type/,
  /input '[^']*' is missing in 'feeds'/,
  /invalid output name/,
  /Non-zero status code returned while running/,
  /Invalid input shape/,
];

/** Strips ORT's source locations and status prefixes, keeps the innermost status message. */
function cleanMessage(message: string): string {
  const innermost = message.split('Status Message: ').pop() ?? message;
  return (
    innermost
      // "/onnxruntime_src/<file>:<line> <C++ signature>(<params>) <message>": keep the message.
      .replace(/\/onnxruntime_src\/\S+:\d+\s+[^(\s]*\([^)]*\)\s*/g, '')
      .replace(/\/onnxruntime_src\/\S+:\d+\s+\S*\s*/g, '')
      .replace(/\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*/g, '')
      .replace(/\s*Please fix either the inputs\/outputs or the model\.?/g, '')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/**
 * Turns an error thrown by `session.run` into an @infer error: core's `InvalidInputError`
 * (400) when ORT rejected the request's data, with ORT's reason cleaned of source paths;
 * `ModelFailedError` (500, ORT's text kept only in `cause`) for anything else.
 *
 * @internal
 * @example
 * try { await session.run(feeds); } catch (error) { throw toInferError(error, { model: 'm' }); }
 */
export function toInferError(
  error: unknown,
  context: { model: string; version?: string | undefined },
): InferError {
  const message = error instanceof Error ? error.message : String(error);
  if (INPUT_ERRORS.some((pattern) => pattern.test(message))) {
    return new InvalidInputError(
      `model "${context.model}" rejected the request: ${cleanMessage(message)}`,
      { cause: error },
    );
  }
  return new ModelFailedError({ ...context, cause: error });
}
