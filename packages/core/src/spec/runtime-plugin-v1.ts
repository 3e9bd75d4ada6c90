import type { ModelV1, ServingOptionsV1 } from './model-v1';

/** What model settings hand to a runtime's `create()`. */
export interface RuntimeModelSettingsV1 extends ServingOptionsV1 {
  name: string;
  version?: string;
  /** Absolute path (or URL-free location) of the model artifact, resolved by core. */
  uri?: string;
  /** Runtime-specific options, e.g. `{ intraOpThreads: 1 }`. */
  parameters?: Record<string, unknown>;
}

/**
 * A runtime published as an npm package: its default export. Model settings name the
 * package (`"runtime": "@infer/runtime-onnx"`) and core imports it by name.
 *
 * @example
 * export default { specificationVersion: 'v1', name: 'infer-runtime-linear', create: (s) => new LinearModel(s) } satisfies RuntimePluginV1;
 */
export interface RuntimePluginV1 {
  readonly specificationVersion: 'v1';
  readonly name: string;
  create(settings: RuntimeModelSettingsV1): ModelV1 | Promise<ModelV1>;
}
