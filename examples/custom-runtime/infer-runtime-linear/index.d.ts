import type {
  InferenceRequest,
  ModelMetadataV1,
  ModelV1,
  PredictOptions,
  PredictResult,
  RuntimeModelSettingsV1,
  RuntimePluginV1,
  ServingOptionsV1,
  WorkerSourceV1,
} from '@infer/core/spec';

/** Model settings `create()` takes: `uri` is the weights JSON file (absolute, from core). */
export interface LinearModelSettings extends RuntimeModelSettingsV1 {
  uri?: string;
  parameters?: { path?: string };
}

/** The plugin's type: `create()` returns a {@link LinearModel}. */
export interface LinearRuntimePlugin extends RuntimePluginV1 {
  readonly name: 'infer-runtime-linear';
  create(settings: LinearModelSettings): LinearModel;
}

/** A linear model `y = xW + b`: input FP32 `[n, inputs]`, output FP32 `[n, outputs]`. */
export declare class LinearModel implements ModelV1 {
  readonly specificationVersion: 'v1';
  readonly name: string;
  readonly version: string | undefined;
  readonly serving: ServingOptionsV1;
  constructor(settings: LinearModelSettings);
  get ready(): boolean;
  load(): Promise<void>;
  unload(): Promise<void>;
  metadata(): ModelMetadataV1;
  predict(request: InferenceRequest, options?: PredictOptions): Promise<PredictResult>;
  workerSource(): WorkerSourceV1;
}

declare const linearRuntime: LinearRuntimePlugin;
export default linearRuntime;
