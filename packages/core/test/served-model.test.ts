import type { InferenceRequest, Tensor } from '@infer/codecs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineModel } from '../src/define-model';
import { httpStatusOf, type InferError, InvalidInputError } from '../src/errors';
import type { Logger } from '../src/logger';
import {
  loadModel,
  ServedModel,
  type ServedModelMetrics,
  type ServedPredictOptions,
} from '../src/served-model';

const row = (values: number[]): InferenceRequest => ({
  inputs: [
    { name: 'x', datatype: 'FP32', shape: [values.length / 2, 2], data: new Float32Array(values) },
  ],
});

/** A batchable identity-ish model (y = x + 1) that records each call's rows and can be held. */
function gatedModel(options: { batchable?: boolean; serving?: object; fail?: () => boolean } = {}) {
  const calls: number[] = [];
  const signals: AbortSignal[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const model = defineModel({
    name: 'gated',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
    outputs: [
      { name: 'y', datatype: 'FP32', shape: [-1, 2] },
      { name: 'z', datatype: 'FP32', shape: [-1, 2] },
    ],
    ...(options.batchable === undefined ? {} : { batchable: options.batchable }),
    ...(options.serving ? { serving: options.serving } : {}),
    predict: async (request, { signal }) => {
      const x = request.input('x').tensor as Tensor<'FP32'>;
      calls.push(x.shape[0]!);
      if (signal) signals.push(signal);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      if (options.fail?.()) throw new Error('SECRET failure');
      return [
        { name: 'y', datatype: 'FP32', shape: x.shape, data: x.data.map((v) => v + 1) },
        { name: 'z', datatype: 'FP32', shape: x.shape, data: x.data.map(() => 0) },
      ];
    },
  });
  return {
    model,
    calls,
    signals,
    hold: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      release?.();
    },
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

const served: ServedModel[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});
const start = async (...args: ConstructorParameters<typeof ServedModel>) => {
  const s = new ServedModel(...args);
  served.push(s);
  return s.start();
};

describe('ServedModel batching', () => {
  it('runs a request at once when idle, and batches what queued meanwhile into one call', async () => {
    const g = gatedModel();
    const s = await start(g.model, { batching: { maxBatchSize: 8 } });
    g.hold();
    const first = s.predict(row([1, 1]));
    await until(() => g.calls.length === 1);
    const queued = [s.predict(row([2, 2])), s.predict(row([3, 3, 4, 4])), s.predict(row([5, 5]))];
    await until(() => s.queueLength === 3);
    g.release();
    const results = await Promise.all([first, ...queued]);
    expect(g.calls).toEqual([1, 4]);
    expect(results.map((r) => [...(r.outputs[0]!.data as Float32Array)])).toEqual([
      [2, 2],
      [3, 3],
      [4, 4, 5, 5],
      [6, 6],
    ]);
    expect(results[2]!.outputs[0]!.shape).toEqual([2, 2]);
    expect(s.batchable).toBe(true);
    expect(s.metadata().parameters).toMatchObject({
      batchable: true,
      max_batch_size: 8,
      workers: 0,
    });
  });

  it('never batches requests whose inputs differ in parameters (a content_type)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: (string | undefined)[][] = [];
    const model = defineModel({
      name: 'texts',
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
      predict: async (request) => {
        const input = request.inputs[0]!;
        seen.push((input.data as Uint8Array[]).map(() => input.parameters?.content_type as string));
        if (seen.length === 1) await held;
        return [{ ...input, parameters: {} }];
      },
    });
    const s = await start(model, { batching: { maxBatchSize: 8 } });
    const text = (value: string, contentType: string): InferenceRequest => ({
      inputs: [
        {
          name: 'text',
          datatype: 'BYTES',
          shape: [1],
          data: [new TextEncoder().encode(value)],
          parameters: { content_type: contentType },
        },
      ],
    });
    const first = s.predict(text('x', 'str'));
    await until(() => seen.length === 1);
    const queued = [
      s.predict(text('a', 'str')),
      s.predict(text('aGVsbG8=', 'base64')),
      s.predict(text('b', 'str')),
    ];
    await until(() => s.queueLength === 3);
    release();
    await Promise.all([first, ...queued]);
    // The two 'str' requests share a batch; the 'base64' one runs with its own parameters.
    expect(seen.slice(1).sort()).toEqual([['base64'], ['str', 'str']]);
  });

  it('runs a non-batchable model request by request and says so in metadata and logs', async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: (_o, m) => lines.push(String(m)),
      warn: () => {},
      error: () => {},
    };
    const g = gatedModel({ batchable: false });
    const s = await start(g.model, { logger });
    g.hold();
    const pending = [s.predict(row([1, 1])), s.predict(row([2, 2])), s.predict(row([3, 3]))];
    await until(() => g.calls.length === 1);
    expect(s.queueLength).toBe(2); // not batched with the running one
    g.release();
    await Promise.all(pending);
    expect(g.calls).toEqual([1, 1, 1]);
    expect(s.metadata().parameters).toMatchObject({
      batchable: false,
      max_batch_size: 1,
      batching_disabled_reason: 'the model is not batchable',
    });
    expect(lines.some((line) => line.includes('request by request'))).toBe(true);
  });

  it('infers batchability from metadata: a fixed first dim runs one by one', async () => {
    const model = defineModel({
      name: 'fixed',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }],
      predict: (request) => [{ ...request.inputs[0]!, name: 'y' }],
    });
    const s = await start(model);
    expect(s.batchable).toBe(false);
    expect(s.metadata().parameters?.batching_disabled_reason).toBe(
      'input "x" has a fixed first dim (1)',
    );
  });

  it('turns batching off with batching: false', async () => {
    const s = await start(gatedModel().model, { batching: false });
    expect(s.batchable).toBe(false);
    expect(s.metadata().parameters?.batching_disabled_reason).toBe('batching is off');
  });
});

describe('ServedModel predict', () => {
  it('returns only the requested outputs, in the requested order', async () => {
    const s = await start(gatedModel().model);
    const result = await s.predict({ ...row([1, 2]), outputs: [{ name: 'z' }] });
    expect(result.outputs.map((o) => o.name)).toEqual(['z']);
    await expect(s.predict({ ...row([1, 2]), outputs: [{ name: 'q' }] })).rejects.toMatchObject({
      code: 'INFER_ERR_OUTPUT_NOT_FOUND',
    });
  });

  it('validates requests against the metadata before queueing (400)', async () => {
    const g = gatedModel();
    const s = await start(g.model);
    await expect(
      s.predict({
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }],
      }),
    ).rejects.toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', input: 'x' });
    expect(g.calls).toEqual([]);
  });

  it('checks the form of a request made in code: plain arrays, missing inputs, typos are 400 before the model runs', async () => {
    const g = gatedModel();
    const s = await start(g.model);
    const bad: Array<[unknown, string]> = [
      [undefined, 'an inference request must be an object with inputs, got nothing'],
      [{}, 'inputs is missing'],
      [{ inputs: 'x' }, 'inputs must be an array of tensors, got "x"'],
      [{ inputs: [null] }, 'inputs[0] must be a tensor object, got null'],
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: ['a', 'b'] }] },
        'inputs[0] "x": data of a FP32 tensor must be Float32Array, got an array',
      ],
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float64Array(2) }] },
        'must be Float32Array, got Float64Array',
      ],
      [
        { inputs: [{ name: 'x', datatype: 'fp32', shape: [1, 2], data: new Float32Array(2) }] },
        'inputs[0] "x": unknown datatype "fp32"',
      ],
      [
        { inputs: [{ name: 'x', datatype: 'FP32', data: new Float32Array(2) }] },
        'inputs[0] "x": shape must be an array, got nothing',
      ],
      [
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, -2], data: new Float32Array(2) }] },
        'must be a non-negative integer',
      ],
      [{ inputs: [{ datatype: 'FP32' }] }, 'inputs[0].name must be a string, got nothing'],
      [{ ...row([1, 2]), outputs: ['y'] }, 'outputs[0] must be an object with a string name'],
      [{ ...row([1, 2]), parameters: { k: {} } }, 'parameters.k must be a string, number or'],
    ];
    for (const [request, message] of bad) {
      const failure = s.predict(request as InferenceRequest);
      await expect(failure, message).rejects.toMatchObject({ code: 'INFER_ERR_CODEC' });
      await expect(failure).rejects.toThrow(message);
    }
    expect(g.calls).toEqual([]);
    // A good request right after is served.
    const ok = await s.predict(row([1, 2]));
    expect(Array.from(ok.outputs[0]!.data as Float32Array)).toEqual([2, 3]);
  });

  it('a bad request batched with good ones fails alone (400); the others get their answers', async () => {
    const model = defineModel({
      name: 'picky',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
      predict: (request) => {
        const x = request.input('x').tensor as Tensor<'FP32'>;
        if (x.data.some((v) => v < 0)) throw new InvalidInputError('x must not be negative');
        return [{ name: 'y', datatype: 'FP32', shape: x.shape, data: x.data.map((v) => v * 2) }];
      },
    });
    const s = await start(model);
    const results = await Promise.allSettled([
      s.predict(row([1, 2])),
      s.predict(row([-1, 0])),
      s.predict(row([3, 4])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: 'INFER_ERR_INVALID_INPUT' } });
    const ys = results.map((r) =>
      r.status === 'fulfilled' ? Array.from(r.value.outputs[0]!.data as Float32Array) : null,
    );
    expect(ys).toEqual([[2, 4], null, [6, 8]]);
  });

  it('does no work for a request aborted while queued', async () => {
    const g = gatedModel();
    const s = await start(g.model);
    g.hold();
    const first = s.predict(row([1, 1]));
    await until(() => g.calls.length === 1);
    const controller = new AbortController();
    const second = s.predict(row([2, 2]), { signal: controller.signal });
    controller.abort(new Error('client gone'));
    await expect(second).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED' });
    g.release();
    await first;
    await s.predict(row([9, 9]));
    expect(g.calls).toEqual([1, 1]); // the first and the last; never the aborted one
  });

  it('aborts the model call of a running request', async () => {
    const g = gatedModel();
    const s = await start(g.model);
    g.hold();
    const controller = new AbortController();
    const pending = s.predict(row([1, 1]), { signal: controller.signal });
    await until(() => g.signals.length === 1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED', status: 499 });
    expect(g.signals[0]!.aborted).toBe(true);
    g.release();
  });

  it('times out with a 504 TimeoutError', async () => {
    const g = gatedModel();
    const s = await start(g.model, { timeoutMs: 30_000 });
    g.hold();
    await expect(s.predict(row([1, 1]), { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'INFER_ERR_TIMEOUT',
      status: 504,
    });
    g.release();
  });

  it("a client's time limit shortens the model's timeout but never lengthens it", async () => {
    const g = gatedModel();
    const s = await start(g.model, { timeoutMs: 400 });
    g.hold();
    const timedOut = (options: ServedPredictOptions) => {
      const at = performance.now();
      return s.predict(row([1, 1]), options).then(
        () => Number.NaN,
        (error: InferError) => {
          expect(error.code).toBe('INFER_ERR_TIMEOUT');
          return performance.now() - at;
        },
      );
    };
    // Longer than the model's 400 ms: the model's limit holds.
    const long = await timedOut({ clientTimeoutMs: 60_000 });
    expect(long).toBeGreaterThanOrEqual(390);
    expect(long).toBeLessThan(10_000);
    // Shorter: the client's.
    expect(await timedOut({ clientTimeoutMs: 5 })).toBeLessThan(300);
    // The caller's own `timeoutMs` wins over both (an in-process caller may lengthen it).
    const pending = s.predict(row([1, 1]), { timeoutMs: 0, clientTimeoutMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    g.release();
    await expect(pending).resolves.toMatchObject({ outputs: expect.any(Array) });
    // A model without a timeout (0) takes the client's as it is.
    const h = gatedModel();
    const unlimited = await start(h.model, { timeoutMs: 0 });
    h.hold();
    await expect(unlimited.predict(row([1, 1]), { clientTimeoutMs: 10 })).rejects.toMatchObject({
      code: 'INFER_ERR_TIMEOUT',
    });
    h.release();
  });

  it('wraps a model exception in ModelFailedError (500), logs the cause, keeps serving', async () => {
    const errors: unknown[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (o) => errors.push((o as { err: unknown }).err),
    };
    let fail = true;
    const s = await start(gatedModel({ fail: () => fail }).model, { logger });
    const error = (await s.predict(row([1, 1])).catch((e: unknown) => e)) as InferError;
    expect(error.code).toBe('INFER_ERR_MODEL_FAILED');
    expect(error.status).toBe(500);
    expect(error.message).not.toContain('SECRET');
    expect((error.cause as Error).message).toBe('SECRET failure');
    expect((errors[0] as Error).message).toBe('SECRET failure');
    fail = false;
    expect((await s.predict(row([1, 1]))).outputs).toHaveLength(2);
  });

  it('takes a thrown plain object with a code of ours as that error (as from a worker)', async () => {
    const model = defineModel({
      name: 'picky',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      predict: () => {
        throw { code: 'INFER_ERR_INVALID_INPUT', message: 'x must be positive' };
      },
    });
    const s = await start(model);
    const error = await s.predict(row([1, 2])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_INPUT', message: 'x must be positive' });
    expect(httpStatusOf(error)).toBe(400);
  });

  it('is not ready before start (503)', async () => {
    const s = new ServedModel(gatedModel().model);
    expect(s.ready).toBe(false);
    await expect(s.predict(row([1, 1]))).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_READY',
    });
  });
});

describe('ServedModel lifecycle', () => {
  it('reports the auto batch size in metadata by default', async () => {
    const s = await start(gatedModel().model);
    expect(s.metadata().parameters).toMatchObject({ batchable: true, max_batch_size: 'auto' });
  });

  it('runs a warm-up of zeros after load', async () => {
    const g = gatedModel({ serving: { warmup: true } });
    await start(g.model);
    expect(g.calls).toEqual([1]);
  });

  it('reports batches and loads to the metric hooks', async () => {
    const seen: string[] = [];
    const metrics: ServedModelMetrics = {
      observeBatch: (o) => seen.push(`batch:${o.model}:${o.size}`),
      setQueueLength: (m, n) => seen.push(`queue:${m}:${n}`),
      setWorkers: () => {},
      incWorkerRestarts: () => {},
      observeModelLoad: (m, _ms, ok) => seen.push(`load:${m}:${ok}`),
    };
    const s = await start(gatedModel().model, { metrics });
    await s.predict(row([1, 1, 2, 2]));
    // The queue as the request joined it (the batch starts on a later tick), as the batch took
    // it, then the batch.
    expect(seen).toEqual(['load:gated:true', 'queue:gated:1', 'queue:gated:0', 'batch:gated:2']);
  });

  it('reports the queue growing behind a long batch, not only when a batch ends', async () => {
    let queue = -1;
    const metrics: ServedModelMetrics = {
      observeBatch: () => {},
      setQueueLength: (_m, n) => {
        queue = n;
      },
      setWorkers: () => {},
      incWorkerRestarts: () => {},
      observeModelLoad: () => {},
    };
    const g = gatedModel({ serving: { batching: { maxBatchSize: 1 } } });
    const s = await start(g.model, { metrics });
    g.hold();
    const first = s.predict(row([1, 1]));
    await until(() => g.calls.length === 1);
    const rest = [s.predict(row([2, 2])), s.predict(row([3, 3])), s.predict(row([4, 4]))];
    expect(queue).toBe(3); // the first runs; three wait behind it
    // One given up while queued (its caller aborted): the gauge follows at once.
    const controller = new AbortController();
    const gone = s.predict(row([5, 5]), { signal: controller.signal });
    expect(queue).toBe(4);
    controller.abort();
    await expect(gone).rejects.toMatchObject({ name: 'AbortError' });
    expect(queue).toBe(3);
    g.release();
    await Promise.all([first, ...rest]);
    expect(queue).toBe(0);
  });

  it('fails start with ModelLoadFailedError and reports it', async () => {
    const loads: boolean[] = [];
    const model = defineModel({
      name: 'broken',
      inputs: [],
      outputs: [],
      load: () => {
        throw new Error('weights missing');
      },
      predict: () => [],
    });
    const s = new ServedModel(model, {
      metrics: {
        observeBatch: () => {},
        setQueueLength: () => {},
        setWorkers: () => {},
        incWorkerRestarts: () => {},
        observeModelLoad: (_m, _ms, ok) => loads.push(ok),
      },
    });
    await expect(s.start()).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_LOAD_FAILED',
      message: 'Model "broken" failed to load: weights missing',
    });
    expect(s.state).toBe('failed');
    expect(s.loadError?.message).toContain('weights missing');
    expect(loads).toEqual([false]);
  });

  it('close() finishes queued requests, then refuses new ones (503) and unloads', async () => {
    const g = gatedModel();
    const s = await start(g.model);
    g.hold();
    const pending = [s.predict(row([1, 1])), s.predict(row([2, 2]))];
    await until(() => g.calls.length === 1);
    const closing = s.close();
    await expect(s.predict(row([3, 3]))).rejects.toMatchObject({ code: 'INFER_ERR_SHUTTING_DOWN' });
    g.release();
    await until(() => g.calls.length === 2);
    g.release();
    await closing;
    expect((await Promise.all(pending)).length).toBe(2);
    expect(g.model.ready).toBe(false);
    expect(s.state).toBe('closed');
  });

  it('loadModel() wraps and starts in one call', async () => {
    const s = await loadModel(gatedModel().model);
    served.push(s);
    expect(s.ready).toBe(true);
  });

  it.each([
    [{ workers: -1 }, 'options.workers must be an integer from 0 to 256'],
    [{ workers: 257 }, 'options.workers must be an integer from 0 to 256'],
    [{ workers: 2 }, 'options.workers needs a model with workerSource()'],
    [
      { batching: { maxBatchSize: 0 } },
      "options.batching.maxBatchSize must be a positive integer or 'auto'",
    ],
    [
      { batching: { maxBatchDelayMs: -1 } },
      'options.batching.maxBatchDelayMs must be a non-negative number',
    ],
    [{ batching: 3 }, 'options.batching must be false or an object'],
    [{ maxQueueSize: 0 }, 'options.maxQueueSize must be a positive integer'],
    [{ timeoutMs: -5 }, 'options.timeoutMs must be a non-negative number of ms'],
    [{ warmup: 'yes' }, 'options.warmup must be a boolean or an inference request'],
    [{ logger: {} }, 'options.logger must have debug, info, warn and error methods'],
  ])('validates options at construction: %j', (options, message) => {
    expect(() => new ServedModel(gatedModel().model, options as never)).toThrow(message);
  });
});
