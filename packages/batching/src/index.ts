export { AdaptiveBatcher, type SubmitOptions } from './adaptive-batcher';
export { BatchItemFailure } from './batch-item-failure';
export {
  type BatchSizeBucketStats,
  BatchSizeTuner,
  type BatchSizeTunerOptions,
  DEFAULT_TUNER_OPTIONS,
} from './batch-size-tuner';
export {
  type AdaptiveBatcherOptions,
  type BatchStats,
  DEFAULT_BATCHER_OPTIONS,
} from './batcher-options';
export {
  AbortError,
  BATCHING_ERROR_CODES,
  BatchAssemblyError,
  BatcherClosedError,
  BatchingError,
  type BatchingErrorCode,
  OverloadedError,
  TimeoutError,
} from './errors';
export {
  type BatchParameters,
  type BatchRequest,
  type BatchResult,
  type BatchTensor,
  type BatchTensorData,
  type BatchTypedArray,
  batchKey,
  concatRequests,
  createOipRun,
  type OipPredict,
  type OipRunOptions,
  requestRows,
  splitResult,
} from './oip-batch';
export { VERSION } from './version';
