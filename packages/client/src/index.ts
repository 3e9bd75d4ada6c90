export type {
  Datatype,
  DatatypeArrayMap,
  ModelMetadataJSON,
  Parameters,
  ServerMetadataJSON,
  Tensor,
} from '@infer/codecs';
export { textOf } from './bytes-text';
export {
  CLIENT_DEFAULTS,
  type ClientOptions,
  DEFAULT_BINARY_THRESHOLD,
  type FetchLike,
  type RetryOptions,
} from './client-options';
export { createClient, type InferClient } from './create-client';
export {
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  InferClientError,
  type InferClientErrorOptions,
} from './errors';
export type {
  CallOptions,
  InferInputs,
  InferOptions,
  InferOutputs,
  InferResult,
  InputData,
  InputName,
  InputValue,
  OutputName,
  PlainElements,
  RequestedOutput,
  TensorInput,
} from './infer-types';
export type { LiveSchema, ModelClient } from './model-client';
export {
  type AnySchema,
  defineSchema,
  type ModelSchema,
  schemaFromMetadata,
  schemaToTypeScript,
  type TensorSchema,
} from './model-schema';
export type { OipClient } from './oip-client';
export { VERSION } from './version';
