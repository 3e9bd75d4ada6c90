/**
 * The dependency-free contract between core and runtimes. A change here is a major
 * release; core upgrades older versions and rejects unknown ones.
 */
export type { Datatype, InferenceRequest, Parameters, Tensor, TensorData } from '@infer/codecs';
export type {
  ModelMetadataV1,
  ModelV1,
  PredictOptions,
  PredictResult,
  ServingOptionsV1,
  TensorMetadata,
  WorkerSourceContextV1,
  WorkerSourceV1,
} from './model-v1';
export type { RuntimeModelSettingsV1, RuntimePluginV1 } from './runtime-plugin-v1';
