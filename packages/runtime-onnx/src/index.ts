/**
 * `@infer/runtime-onnx`: ONNX models on ONNX Runtime (onnxruntime-node) for @infer. The
 * default export is the runtime plugin; `OnnxModel` is the model class.
 */
export { toInferError } from './errors';
export { ONNX_PLATFORM, OnnxModel, RUNTIME_NAME } from './onnx-model';
export type { OnnxModelOptions } from './onnx-options';
export { DEFAULT_ONNX_OPTIONS, defaultIntraOpThreads, defaultWorkers } from './onnx-options';
export { createOnnxModel, onnxRuntime, onnxRuntime as default } from './onnx-plugin';
export type {
  ExecutionProvider,
  ExecutionProviderName,
  SkippedProvider,
} from './onnx-providers';
export { EXECUTION_PROVIDERS, supportedProviders } from './onnx-providers';
export type { OrtTensorType } from './onnx-tensor';
export { datatypeOfOrtType, fromOrtTensor, ORT_TYPES, toOrtTensor } from './onnx-tensor';
export { VERSION } from './version';
