export { WorkerPool } from './worker-pool';
export {
  type AbortRunningPolicy,
  DEFAULT_WORKER_POOL_OPTIONS,
  type WorkerPoolOptions,
  type WorkerPoolRunOptions,
  type WorkerRestartEvent,
} from './worker-pool-options';
