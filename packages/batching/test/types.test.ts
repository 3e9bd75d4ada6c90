import type { InferenceRequest, InferenceResponse, Tensor } from '@infer/codecs';
import { describe, expectTypeOf, it } from 'vitest';
import {
  AdaptiveBatcher,
  type BatchRequest,
  type BatchResult,
  type BatchStats,
  type BatchTensor,
  batchKey,
  concatRequests,
  createOipRun,
  requestRows,
  splitResult,
} from '../src/index';

describe('public API types', () => {
  it('accepts the decoded OIP types of @infer/codecs structurally', () => {
    expectTypeOf<Tensor>().toExtend<BatchTensor>();
    expectTypeOf<InferenceRequest>().toExtend<BatchRequest>();
    expectTypeOf<Pick<InferenceResponse, 'outputs' | 'parameters'>>().toExtend<BatchResult>();
    expectTypeOf(concatRequests<InferenceRequest>).returns.toEqualTypeOf<InferenceRequest>();
    expectTypeOf(splitResult<BatchResult>).returns.toEqualTypeOf<BatchResult[]>();
    expectTypeOf(requestRows).returns.toEqualTypeOf<number | undefined>();
    expectTypeOf(batchKey).returns.toEqualTypeOf<string>();
  });

  it('types submit() by the batcher item and result types', () => {
    const batcher = new AdaptiveBatcher<InferenceRequest, BatchResult>({
      run: createOipRun(async (request: InferenceRequest) => ({ outputs: request.inputs })),
      key: batchKey,
      rows: (request) => requestRows(request) ?? 1,
      onStats: (stats) => expectTypeOf(stats).toEqualTypeOf<BatchStats>(),
    });
    expectTypeOf(batcher.submit).parameter(0).toEqualTypeOf<InferenceRequest>();
    expectTypeOf(batcher.submit).returns.toEqualTypeOf<Promise<BatchResult>>();
    expectTypeOf(batcher.queueLength).toEqualTypeOf<number>();
    expectTypeOf(batcher.running).toEqualTypeOf<number>();
  });
});
