import type { InferenceRequest, Tensor } from '@infer/codecs';
import { describe, expect, it } from 'vitest';
import { asModelV1 } from '../src/as-model-v1';
import { DefinedModel, defineModel } from '../src/define-model';
import { type InferError, InvalidInputError } from '../src/errors';
import { Model } from '../src/model';
import { getInput, withInputs } from '../src/model-input';
import { loadModel } from '../src/served-model';
import type { ModelMetadataV1, PredictResult } from '../src/spec';

const fp32 = (name: string, shape: number[], values: number[]): Tensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: new Float32Array(values),
});

class Recorder extends Model {
  calls: string[] = [];
  loads = 0;
  gate: Promise<void> = Promise.resolve();
  metadata(): ModelMetadataV1 {
    return { name: this.name, platform: 'test', inputs: [], outputs: [] };
  }
  protected override async doLoad() {
    this.loads++;
    this.calls.push('load');
    await this.gate;
  }
  protected override doUnload() {
    this.calls.push('unload');
  }
  protected override preprocess(request: InferenceRequest) {
    this.calls.push('preprocess');
    return { ...request, inputs: request.inputs.map((t) => ({ ...t, name: 'pre' })) };
  }
  protected doPredict(request: InferenceRequest): PredictResult {
    this.calls.push(`predict:${request.inputs[0]?.name}`);
    return { outputs: request.inputs };
  }
  protected override postprocess(result: PredictResult) {
    this.calls.push('postprocess');
    return { ...result, parameters: { post: true } };
  }
}

describe('Model base class', () => {
  it('loads once when load() is called concurrently, and is ready after', async () => {
    const model = new Recorder({ name: 'r' });
    let open!: () => void;
    model.gate = new Promise((resolve) => {
      open = resolve;
    });
    const loads = [model.load(), model.load(), model.load()];
    expect(model.ready).toBe(false);
    open();
    await Promise.all(loads);
    await model.load();
    expect(model.loads).toBe(1);
    expect(model.ready).toBe(true);
  });

  it('runs preprocess -> doPredict -> postprocess in order', async () => {
    const model = new Recorder({ name: 'r' });
    await model.load();
    const result = await model.predict({ inputs: [fp32('x', [1], [1])] });
    expect(model.calls).toEqual(['load', 'preprocess', 'predict:pre', 'postprocess']);
    expect(result.parameters).toEqual({ post: true });
  });

  it('refuses predict before load and after unload (503 not ready)', async () => {
    const model = new Recorder({ name: 'r' });
    await expect(model.predict({ inputs: [] })).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_READY',
    });
    await model.load();
    await model.unload();
    await model.unload();
    expect(model.calls.filter((c) => c === 'unload')).toHaveLength(1);
    expect(model.ready).toBe(false);
    await expect(model.predict({ inputs: [] })).rejects.toMatchObject({ status: 503 });
  });

  it('rejects at once with an AbortError when the signal is already aborted', async () => {
    const model = new Recorder({ name: 'r' });
    await model.load();
    const controller = new AbortController();
    controller.abort('gone');
    await expect(
      model.predict({ inputs: [] }, { signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'INFER_ERR_ABORTED',
      cause: 'gone',
    });
    expect(model.calls).not.toContain('preprocess');
  });

  it('validates its options with messages naming the path', () => {
    expect(() => new Recorder({ name: '' })).toThrow('options.name must be a non-empty string');
    expect(() => new Recorder({ name: 'a/b' })).toThrow('options.name must be');
    expect(() => new Recorder({ name: 'a', version: 'x y' })).toThrow('options.version must be');
    expect(() => new Recorder({ name: 'a', batchable: 1 as never })).toThrow(
      'options.batchable must be a boolean',
    );
  });

  it('predict() rejects, never throws, and promises even when every hook answers at once', () => {
    const model = new Recorder({ name: 'r' });
    const notLoaded = model.predict({ inputs: [] });
    expect(notLoaded).toBeInstanceOf(Promise);
    return expect(notLoaded).rejects.toMatchObject({ code: 'INFER_ERR_MODEL_NOT_READY' });
  });

  it('a served Model runs its hooks through the same path, unless predict is overridden or replaced', async () => {
    class Overridden extends Recorder {
      override async predict(request: InferenceRequest) {
        this.calls.push('own predict');
        return super.predict(request);
      }
    }
    const row = { inputs: [fp32('x', [1, 1], [1])] };
    const plain = new Recorder({ name: 'plain' });
    const served = await loadModel(plain, { warmup: false, validate: false });
    expect((await served.predict(row)).parameters).toEqual({ post: true });
    expect(plain.calls).toEqual(['load', 'preprocess', 'predict:pre', 'postprocess']);
    // Replaced on the instance after it was served (a spy): called.
    const original = plain.predict.bind(plain);
    plain.predict = (request, options) => {
      plain.calls.push('replaced');
      return original(request, options);
    };
    await served.predict(row);
    expect(plain.calls).toContain('replaced');
    await served.close();
    const overridden = new Overridden({ name: 'overridden' });
    const servedOverridden = await loadModel(overridden, { warmup: false, validate: false });
    await servedOverridden.predict(row);
    expect(overridden.calls).toContain('own predict');
    await servedOverridden.close();
  });
});

const doubler = () =>
  defineModel({
    name: 'doubler',
    version: '1',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
    predict: (request) => {
      const x = request.input('x').typed('FP32');
      return [
        { name: 'y', datatype: 'FP32', shape: request.input('x').shape, data: x.map((v) => v * 2) },
      ];
    },
  });

describe('defineModel', () => {
  it('makes a working model in a few lines', async () => {
    const model = doubler();
    await model.load();
    const result = await model.predict({ inputs: [fp32('x', [1, 3], [1, 2, 3])] });
    expect([...(result.outputs[0]!.data as Float32Array)]).toEqual([2, 4, 6]);
    expect(model.metadata()).toEqual({
      name: 'doubler',
      versions: ['1'],
      platform: 'custom',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
    });
    expect(model.specificationVersion).toBe('v1');
  });

  it("hands workerSource the pool size; a caller without one gets the model's own workers", () => {
    const seen: unknown[] = [];
    const source = { module: 'some-runtime', settings: {} };
    const model = defineModel({
      name: 'sourced',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      predict: (request) => request.inputs,
      serving: { workers: 3 },
      workerSource: (context) => {
        seen.push(context);
        return source;
      },
    });
    expect(model.workerSource?.({ workers: 2 })).toBe(source);
    expect(model.workerSource?.()).toBe(source);
    const inProcess = defineModel({
      name: 'sourced',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      predict: (request) => request.inputs,
      workerSource: (context) => {
        seen.push(context);
        return source;
      },
    });
    inProcess.workerSource?.();
    expect(seen).toEqual([{ workers: 2 }, { workers: 3 }, { workers: 1 }]);
  });

  it.each([
    [{ inputs: [fp32('z', [1, 3], [1, 2, 3])] }, 'unknown input "z"; model "doubler" takes "x"'],
    [{ inputs: [] }, 'missing input "x" (FP32 [-1,3])'],
    [
      { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 3], data: new Int32Array(3) }] },
      'input "x" must be FP32 [-1,3] (-1: any size), got INT32 [1,3]',
    ],
    [
      { inputs: [fp32('x', [1, 4], [1, 2, 3, 4])] },
      'input "x" must be FP32 [-1,3] (-1: any size), got FP32 [1,4]',
    ],
    [{ inputs: [fp32('x', [3], [1, 2, 3])] }, 'got FP32 [3]'],
    [
      { inputs: [fp32('x', [2, 3], [1, 2, 3])] },
      'input "x" has 3 elements but shape [2,3] needs 6',
    ],
    [
      { inputs: [fp32('x', [1, 3], [1, 2, 3]), fp32('x', [1, 3], [1, 2, 3])] },
      'input "x" is given more than once',
    ],
  ] as [InferenceRequest, string][])(
    'rejects a request that does not fit: %#',
    async (request, message) => {
      const model = doubler();
      await model.load();
      const error = await model.predict(request).catch((e: unknown) => e);
      expect(InvalidInputError.isInstance(error)).toBe(true);
      expect((error as InferError).status).toBe(400);
      expect((error as Error).message).toContain(message);
    },
  );

  it('rejects requested outputs the model does not declare', async () => {
    const model = doubler();
    await model.load();
    await expect(
      model.predict({ inputs: [fp32('x', [1, 3], [1, 2, 3])], outputs: [{ name: 'nope' }] }),
    ).rejects.toMatchObject({ code: 'INFER_ERR_OUTPUT_NOT_FOUND', status: 400 });
  });

  it('passes load() state and the signal to the hooks, and unload gets the state', async () => {
    const seen: unknown[] = [];
    const model = defineModel({
      name: 'stateful',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      load: async () => ({ factor: 10 }),
      unload: (state) => {
        seen.push(['unload', state.factor]);
      },
      preprocess: (request, { state }) => {
        seen.push(['pre', state.factor]);
        return request;
      },
      predict: (request, { state, signal }) => {
        seen.push(['predict', state.factor, signal?.aborted]);
        const x = request.input('x').typed('FP32');
        return { outputs: [{ ...request.inputs[0]!, data: x.map((v) => v * state.factor) }] };
      },
      postprocess: (result, _request, { state }) => ({
        ...result,
        parameters: { factor: state.factor },
      }),
    });
    await model.load();
    const result = await model.predict(
      { inputs: [fp32('x', [2], [1, 2])] },
      { signal: new AbortController().signal },
    );
    await model.unload();
    expect([...(result.outputs[0]!.data as Float32Array)]).toEqual([10, 20]);
    expect(result.parameters).toEqual({ factor: 10 });
    expect(seen).toEqual([
      ['pre', 10],
      ['predict', 10, false],
      ['unload', 10],
    ]);
  });

  it('skips validation with validate: false', async () => {
    const model = defineModel({
      name: 'loose',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }],
      outputs: [],
      validate: false,
      predict: (request) => ({ outputs: request.inputs }),
    });
    await model.load();
    const result = await model.predict({ inputs: [fp32('other', [2], [1, 2])] });
    expect(result.outputs[0]!.name).toBe('other');
  });

  it('quotes a long shape cut short in its 400 (no echo of a million dims)', async () => {
    const model = defineModel({
      name: 'flat',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [],
      predict: (request) => ({ outputs: request.inputs }),
    });
    await model.load();
    const shape = new Array(100_000).fill(1);
    const error = await model.predict({ inputs: [fp32('x', shape, [1])] }).catch((e: unknown) => e);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('(100000 dims)');
    expect((error as Error).message.length).toBeLessThan(300);
  });

  it('validate: false holds when served, unless the serving options say validate: true', async () => {
    const loose = () =>
      defineModel({
        name: 'loose',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }],
        outputs: [],
        validate: false,
        predict: (request) => ({ outputs: request.inputs }),
      });
    const served = await loadModel(loose(), { warmup: false });
    const { outputs } = await served.predict({ inputs: [fp32('other', [2], [1, 2])] });
    expect(outputs.map((output) => output.name)).toEqual(['other']);
    await served.close();
    const checked = await loadModel(loose(), { warmup: false, validate: true });
    await expect(checked.predict({ inputs: [fp32('other', [2], [1, 2])] })).rejects.toMatchObject({
      code: 'INFER_ERR_INVALID_INPUT',
    });
    await checked.close();
  });

  it('validates once when served: ServedModel checks, the model trusts it; otherwise the model checks', async () => {
    let declared = 0;
    class Counting extends DefinedModel<undefined> {
      override metadata() {
        declared++;
        return super.metadata();
      }
    }
    const options = {
      name: 'counting',
      inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 2] }],
      outputs: [],
      predict: (request: { inputs: Tensor[] }) => ({ outputs: request.inputs }),
    };
    const served = await loadModel(new Counting(options));
    const before = declared;
    await served.predict({ inputs: [fp32('x', [1, 2], [1, 2])] });
    expect(declared).toBe(before); // the model did not validate a second time
    await served.close();
    // ServedModel told not to validate: the model still does.
    const unchecked = await loadModel(defineModel(options), { validate: false });
    await expect(
      unchecked.predict({ inputs: [fp32('x', [1, 3], [1, 2, 3])] }),
    ).rejects.toMatchObject({
      code: 'INFER_ERR_INVALID_INPUT',
    });
    await unchecked.close();
    // A warm-up request of the options is not validated by ServedModel: the model checks it.
    await expect(
      loadModel(defineModel(options), { warmup: { inputs: [fp32('x', [1, 3], [1, 2, 3])] } }),
    ).rejects.toMatchObject({ code: 'INFER_ERR_INVALID_INPUT' });
  });

  it("a served model still checks what it gets from elsewhere: a wrapper's new request, a batch of a fixed first dim", async () => {
    const inner = defineModel({
      name: 'inner',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [],
      predict: (request) => ({ outputs: request.inputs }),
    });
    await inner.load();
    // A wrapper passing its own options on with a request it made: the inner model checks it.
    const wrapper = {
      specificationVersion: 'v1' as const,
      name: 'wrapper',
      ready: true,
      load: async () => {},
      unload: async () => {},
      metadata: () => ({
        name: 'wrapper',
        platform: 'test',
        inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 2] }],
        outputs: [],
      }),
      predict: (_request: InferenceRequest, options?: object) =>
        inner.predict({ inputs: [fp32('x', [1, 3], [1, 2, 3])] }, options),
    };
    const served = await loadModel(wrapper, { batching: false });
    await expect(served.predict({ inputs: [fp32('x', [1, 2], [1, 2])] })).rejects.toMatchObject({
      code: 'INFER_ERR_INVALID_INPUT',
    });
    await served.close();
    // Declared batchable with a fixed first dim of 1: a batch of three is [3,2], which the
    // model refuses; each request then runs alone and is answered.
    const seen: number[][] = [];
    const fixed = defineModel({
      name: 'fixed',
      batchable: true,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }],
      outputs: [],
      predict: (request) => {
        seen.push(request.inputs[0]!.shape);
        return { outputs: request.inputs };
      },
    });
    const batched = await loadModel(fixed, { batching: { maxBatchSize: 4 } });
    const answers = await Promise.all(
      [1, 2, 3].map((v) => batched.predict({ inputs: [fp32('x', [1, 2], [v, v])] })),
    );
    expect(answers).toHaveLength(3);
    expect(seen.every((shape) => shape[0] === 1)).toBe(true);
    await batched.close();
  });

  it.each([
    [{ inputs: 'x' }, 'options.inputs must be an array'],
    [
      { inputs: [{ name: '', datatype: 'FP32', shape: [] }] },
      'options.inputs[0].name must be a non-empty string',
    ],
    [
      { inputs: [{ name: 'a', datatype: 'FP33', shape: [] }] },
      'options.inputs[0].datatype must be one of BOOL',
    ],
    [
      { inputs: [{ name: 'a', datatype: 'FP32', shape: [-2] }] },
      'options.inputs[0].shape must be an array of integers >= -1',
    ],
    [
      {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [] },
          { name: 'a', datatype: 'FP32', shape: [] },
        ],
      },
      'options.inputs[1].name repeats "a"',
    ],
    [{ outputs: null }, 'options.outputs must be an array'],
    [{ predict: 1 }, 'options.predict must be a function'],
    [{ load: 'x' }, 'options.load must be a function'],
    [{ name: 'a/b' }, 'options.name must be a non-empty string without'],
  ])('validates options: %s', (patch, message) => {
    const base = { name: 'm', inputs: [], outputs: [], predict: () => [] };
    expect(() => defineModel({ ...base, ...(patch as object) } as never)).toThrow(message);
    try {
      defineModel({ ...base, ...(patch as object) } as never);
    } catch (error) {
      expect((error as InferError).code).toBe('INFER_ERR_INVALID_OPTION');
    }
  });
});

describe('typed input access', () => {
  const request: InferenceRequest = {
    inputs: [
      fp32('x', [2], [1, 2]),
      {
        name: 'text',
        datatype: 'BYTES',
        shape: [2],
        data: [new TextEncoder().encode('hello'), new TextEncoder().encode('world')],
      },
    ],
  };

  it('gets an input by name with its tensor, shape and typed data', () => {
    const x = getInput(request, 'x');
    expect(x.name).toBe('x');
    expect(x.shape).toEqual([2]);
    expect(x.tensor).toBe(request.inputs[0]);
    expect(x.typed('FP32')).toBeInstanceOf(Float32Array);
    expect(() => x.typed('INT8')).toThrow('input "x" must be INT8, got FP32');
  });

  it('throws a 400 naming the missing input', () => {
    expect(() => getInput(request, 'y')).toThrow('missing input "y" (request has "x", "text")');
  });

  it('decodes with a registered content-type codec: request.input(name).as(codec)', async () => {
    const texts = await withInputs(request).input('text').as<string[]>('str');
    expect(texts).toEqual(['hello', 'world']);
    await expect(withInputs(request).input('text').as('nope')).rejects.toThrow(
      'codec "nope" is not registered',
    );
  });

  it('copies the request (own properties, shared tensors) and leaves it as it was', () => {
    const source = { ...request, id: 'r1', parameters: { p: 1 } };
    const copy = withInputs(source);
    expect(copy).not.toBe(source);
    expect(copy.id).toBe('r1');
    expect(copy.parameters).toBe(source.parameters);
    expect(copy.inputs).toBe(source.inputs);
    expect(Object.keys(copy).sort()).toEqual(['id', 'input', 'inputs', 'parameters']);
    expect(Object.hasOwn(source, 'input')).toBe(false);
    expect(copy.input('x').tensor).toBe(request.inputs[0]);
  });

  it("puts its own input() over a request's own input property", () => {
    const source = { ...request, input: 'not a function' } as unknown as InferenceRequest;
    const copy = withInputs(source);
    expect(copy.input('x').tensor).toBe(request.inputs[0]);
    expect((source as unknown as { input: string }).input).toBe('not a function');
  });

  it('keeps a "__proto__" key of a parsed request as data, not as the prototype', () => {
    const source = JSON.parse('{"inputs":[],"__proto__":{"polluted":true}}') as InferenceRequest;
    const copy = withInputs(source);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as unknown as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(typeof copy.input).toBe('function');
  });
});

describe('asModelV1', () => {
  it('returns a v1 model as is', () => {
    const model = doubler();
    expect(asModelV1(model)).toBe(model);
  });

  it('upgrades a pre-spec object that has the v1 members', async () => {
    const legacy = {
      name: 'legacy',
      ready: true,
      load: async () => {},
      unload: async () => {},
      metadata: () => ({ name: 'legacy', platform: 'x', inputs: [], outputs: [] }),
      predict: async () => ({ outputs: [] }),
    };
    const model = asModelV1(legacy);
    expect(model.specificationVersion).toBe('v1');
    expect(model.name).toBe('legacy');
    expect(await model.predict({ inputs: [] })).toEqual({ outputs: [] });
  });

  it('rejects an unknown specificationVersion with INFER_ERR_UNSUPPORTED_SPEC_VERSION', () => {
    const future = { ...doubler(), specificationVersion: 'v2' };
    expect(() => asModelV1(future)).toThrow(/specificationVersion "v2"/);
    try {
      asModelV1(future);
    } catch (error) {
      expect((error as InferError).code).toBe('INFER_ERR_UNSUPPORTED_SPEC_VERSION');
    }
  });

  it('rejects objects that are not models, naming the member', () => {
    expect(() => asModelV1(null)).toThrow('model must be a model object');
    expect(() => asModelV1({ name: 'x' })).toThrow('model.load must be a function');
    expect(() => asModelV1({ name: 1 })).toThrow('model.name must be a non-empty string');
  });
});
