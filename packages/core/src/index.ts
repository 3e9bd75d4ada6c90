export { AbortError, BatcherClosedError, OverloadedError, TimeoutError } from '@infer/batching';
export type { CompressionOptions } from './adapters/content-coding';
export { asModelV1 } from './as-model-v1';
export { type Batchability, batchabilityOf } from './batchability';
export { availableCores, CORES_VARIABLE } from './cores';
export {
  DefinedModel,
  type DefineModelOptions,
  defineModel,
  type ModelContext,
} from './define-model';
export * from './errors';
export type { ServerMetadata, ServiceInferOptions } from './inference-service';
export {
  type FailedRequest,
  InferenceService,
  type InferenceServiceOptions,
  type RepositoryApiOptions,
  type RepositoryLoader,
  type ServiceRequest,
  type ServiceRequestInit,
  type ServiceResponse,
  type ServiceTestResponse,
} from './inference-service';
export { type Logger, silentLogger } from './logger';
export * from './metrics';
export { Model, type ModelOptions } from './model';
export { getInput, type ModelInput, type ModelRequest, withInputs } from './model-input';
export {
  type AddModelOptions,
  ModelRepository,
  type ModelRepositoryOptions,
  type ModelState,
  type RepositoryIndexEntry,
} from './model-repository';
export * from './pipeline';
export * from './pool';
export { type LoadedRuntime, type LoadRuntimeOptions, loadRuntime } from './runtime-loader';
export type { ServeGrpcEndpoint } from './serve';
export { type InferServer, type ServeOptions, serve } from './serve';
export {
  loadModel,
  ServedModel,
  type ServedModelMetrics,
  type ServedModelOptions,
  type ServedPredictOptions,
} from './served-model';
export {
  DEFAULT_SERVING_OPTIONS,
  type ResolvedServingOptions,
  SERVING_OPTION_KEYS,
} from './serving-options';
export * from './settings';
export type * from './spec';
export { validateRequest } from './validate-request';
export { VERSION } from './version';
