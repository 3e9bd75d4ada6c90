/**
 * The version of @infer/runtime-onnx.
 *
 * @example
 * console.log(VERSION); // '0.1.0'
 */
export const VERSION = '0.1.0';
