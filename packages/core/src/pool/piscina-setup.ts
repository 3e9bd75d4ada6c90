/**
 * Creating the Piscina behind a `WorkerPool` and the warm start that loads the model on
 * every thread before `start()` resolves.
 *
 * @internal
 */
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { resolveRuntimeFile } from '../runtime-loader';
import type { ModelMetadataV1 } from '../spec';
import { workerFile } from './worker-file';
import { raiseWorkerInitialOldSpace } from './worker-heap';
import type { ResolvedWorkerPoolOptions } from './worker-pool-options';
import {
  deserializeError,
  type LoadWarning,
  type WorkerBootData,
  type WorkerReply,
  type WorkerTask,
} from './worker-protocol';

/** The Piscina of a pool: its tasks and replies. */
export type PoolPiscina = Piscina<WorkerTask, WorkerReply>;

/**
 * Resolves the source module in this thread (package `exports` with ESM conditions, from
 * `source.resolveFrom` or the cwd) and creates `workers` threads that each import it.
 * Throws (synchronously) when the module or the built worker entry cannot be found.
 *
 * @example
 * const piscina = createPiscina(resolveWorkerPoolOptions({ source, workers: 2 }));
 */
export function createPiscina(options: ResolvedWorkerPoolOptions): PoolPiscina {
  const { source, workers } = options;
  const moduleFile = resolveRuntimeFile(source.module, {
    from: [source.resolveFrom ?? process.cwd()],
  });
  const boot: WorkerBootData = {
    moduleUrl: pathToFileURL(moduleFile).href,
    exportName: source.export ?? 'default',
    settings: source.settings,
    transferOutputs: options.transferOutputs,
  };
  // Before the threads exist: their isolates read it when they are made (see worker-heap.ts).
  raiseWorkerInitialOldSpace();
  return new Piscina<WorkerTask, WorkerReply>({
    filename: workerFile(),
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData: boot,
  });
}

/** What the warm start found: the first metadata, the first failure, distinct threads. */
export interface WarmStart {
  metadata: ModelMetadataV1 | undefined;
  /** Every thread's load warnings, each once (threads that loaded the same model warn alike). */
  warnings: LoadWarning[];
  failure: unknown;
  threads: number;
}

/**
 * Waits until every thread has loaded the model. Threads start idle and all marked ready,
 * and one task at most runs on each, so `workers` load tasks submitted together land on
 * `workers` distinct threads, each answering once its own load finished (or failed).
 *
 * @example
 * const { metadata, failure } = await loadEveryWorker(piscina, 2);
 */
export async function loadEveryWorker(piscina: PoolPiscina, workers: number): Promise<WarmStart> {
  const replies = await Promise.allSettled(
    Array.from({ length: workers }, () => piscina.run({ kind: 'load' })),
  );
  let metadata: ModelMetadataV1 | undefined;
  const warnings: LoadWarning[] = [];
  let failure: unknown;
  const threads = new Set<number>();
  for (const reply of replies) {
    if (reply.status === 'rejected') failure ??= reply.reason;
    else if (reply.value.kind === 'error') failure ??= deserializeError(reply.value.error);
    else if (reply.value.kind === 'loaded') {
      metadata ??= reply.value.metadata;
      warnings.push(...reply.value.warnings);
      threads.add(reply.value.threadId);
    }
  }
  return { metadata, warnings, failure, threads: threads.size };
}
