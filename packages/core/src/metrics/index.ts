export {
  type CreateMetricsOptions,
  createMetrics,
  DEFAULT_BATCH_SIZE_BUCKETS,
  DEFAULT_LATENCY_BUCKETS,
  type PrometheusInferMetrics,
} from './create-metrics';
export type { BatchObservation, InferMetrics, RequestObservation } from './infer-metrics';
