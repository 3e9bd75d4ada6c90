import type { Tensor } from '@infer/codecs';
import { defineModel } from '../define-model';
import type { ModelV1 } from '../spec';

/** What the conformance models let the suite observe. @internal */
export interface ConformanceProbe {
  /** Resolves with each slow predict's signal once it started. */
  slowStarted: Array<(signal: AbortSignal | undefined) => void>;
  /** Number of slow predicts whose signal was aborted. */
  slowAborted: number;
  /** Waiters for the next abort. */
  abortWaiters: Array<() => void>;
}

/** @internal */
export function createProbe(): ConformanceProbe {
  return { slowStarted: [], slowAborted: 0, abortWaiters: [] };
}

const FP32 = (name: string) => ({ name, datatype: 'FP32' as const, shape: [-1, -1] });

/**
 * The three models the suite serves, all made with `defineModel`: `echo` (version `1`,
 * identity `x` -> `y` on FP32), `slow` (waits until its signal aborts, at most 10 s) and
 * `failing` (always throws an error whose message must not reach clients).
 *
 * @internal
 */
export function createConformanceModels(probe: ConformanceProbe): ModelV1[] {
  const echo = defineModel({
    name: 'echo',
    version: '1',
    inputs: [FP32('x')],
    outputs: [FP32('y')],
    predict: (request) => {
      const x = request.inputs[0] as Tensor;
      return [{ name: 'y', datatype: x.datatype, shape: x.shape, data: x.data }];
    },
  });
  const slow = defineModel({
    name: 'slow',
    inputs: [FP32('x')],
    outputs: [FP32('y')],
    serving: { batching: false },
    predict: (request, { signal }) =>
      new Promise<Tensor[]>((resolve) => {
        const x = request.inputs[0] as Tensor;
        const timer = setTimeout(() => resolve([{ ...x, name: 'y' }]), 10_000);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            probe.slowAborted += 1;
            for (const wake of probe.abortWaiters.splice(0)) wake();
            resolve([{ ...x, name: 'y' }]);
          },
          { once: true },
        );
        for (const notify of probe.slowStarted.splice(0)) notify(signal);
      }),
  });
  const failing = defineModel({
    name: 'failing',
    inputs: [FP32('x')],
    outputs: [FP32('y')],
    predict: () => {
      throw new Error('SECRET-INTERNAL /srv/model/weights.bin is corrupt');
    },
  });
  return [echo, slow, failing];
}
