import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createModelFromSettings } from '@infer/core';
import onnx, {
  createOnnxModel,
  defaultIntraOpThreads,
  defaultWorkers,
  OnnxModel,
} from '@infer/runtime-onnx';
import ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import { ortSessionOptions, resolveSpinning } from '../src/onnx-options';
import { MOBILENET } from './__fixtures__/inputs';
import { ELEM, identityModel } from './__fixtures__/onnx-builder';

const base = { name: 'm', path: MOBILENET };

describe('options are validated at construction, with messages that name the path', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['not an object', null as unknown as Record<string, unknown>, 'options must be an object'],
    ['unknown key', { ...base, threads: 2 }, 'options.threads is not a known option'],
    ['no name', { path: MOBILENET }, 'options.name must be a non-empty string'],
    [
      'neither path nor bytes',
      { name: 'm' },
      'options.path or options.bytes must be given (exactly one)',
    ],
    [
      'both path and bytes',
      { ...base, bytes: new Uint8Array(1) },
      'options.path or options.bytes must be given (exactly one)',
    ],
    ['empty path', { name: 'm', path: '' }, 'options.path must be a non-empty string'],
    [
      'empty bytes',
      { name: 'm', bytes: new Uint8Array(0) },
      'options.bytes must be a non-empty Uint8Array',
    ],
    [
      'bytes with workers',
      { name: 'm', bytes: new Uint8Array(1), workers: 2 },
      'options.bytes cannot be used with workers > 0',
    ],
    ['sessionOptions', { ...base, sessionOptions: 3 }, 'options.sessionOptions must be an object'],
    [
      'empty providers',
      { ...base, executionProviders: [] },
      'options.executionProviders must be a non-empty array',
    ],
    [
      'unknown provider',
      { ...base, executionProviders: ['cpu', 'tpu'] },
      'options.executionProviders[1] must be one of cpu, cuda, tensorrt, webgpu, dml, coreml',
    ],
    [
      'strictProviders',
      { ...base, strictProviders: 'yes' },
      'options.strictProviders must be a boolean',
    ],
    [
      'intraOpSpinning',
      { ...base, intraOpSpinning: 'off' },
      'options.intraOpSpinning must be a boolean',
    ],
    [
      'intraOpThreads',
      { ...base, intraOpThreads: 0 },
      'options.intraOpThreads must be a positive integer',
    ],
    [
      'interOpThreads',
      { ...base, interOpThreads: 1.5 },
      'options.interOpThreads must be a positive integer',
    ],
    ['workers', { ...base, workers: -1 }, 'options.workers must be a non-negative integer'],
    ['logger', { ...base, logger: {} }, 'options.logger must have a warn method (pino-compatible)'],
  ])('%s', (_label, options, message) => {
    expect(() => new OnnxModel(options as never)).toThrow(message);
    try {
      new OnnxModel(options as never);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INFER_ERR_INVALID_OPTION' });
    }
  });
});

describe('threads', () => {
  it('default intra-op threads split the cores among workers, at least one each', () => {
    expect(defaultIntraOpThreads(16, 0)).toBe(16);
    expect(defaultIntraOpThreads(16, 1)).toBe(16);
    expect(defaultIntraOpThreads(16, 4)).toBe(4);
    expect(defaultIntraOpThreads(16, 5)).toBe(3);
    expect(defaultIntraOpThreads(2, 8)).toBe(1);
  });

  it('defaultWorkers: one for a plain model from a path, none from bytes or for a subclass, else the option', () => {
    expect(defaultWorkers(base, true)).toBe(1);
    expect(defaultWorkers(base, false)).toBe(0);
    expect(defaultWorkers({ name: 'm', bytes: new Uint8Array(1) }, true)).toBe(0);
    expect(defaultWorkers({ ...base, workers: 3 }, false)).toBe(3);
    expect(defaultWorkers({ ...base, workers: 0 }, true)).toBe(0);
  });

  it('counts the cores INFER_CORES gives the process (one of several server processes, a CPU quota)', () => {
    vi.stubEnv('INFER_CORES', '6');
    try {
      expect(defaultIntraOpThreads()).toBe(6);
      expect(defaultIntraOpThreads(undefined, 4)).toBe(1);
      expect(new OnnxModel(base).intraOpThreads).toBe(6);
      expect(new OnnxModel({ ...base, workers: 3 }).intraOpThreads).toBe(2);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("a worker's share follows the pool core builds, not the workers the model was made with", () => {
    vi.stubEnv('INFER_CORES', '8');
    try {
      const threadsOf = (model: OnnxModel, workers?: number) =>
        (
          model.workerSource(workers === undefined ? undefined : { workers }).settings as {
            parameters: { intraOpThreads: number };
          }
        ).parameters.intraOpThreads;
      const plain = new OnnxModel(base);
      expect(threadsOf(plain)).toBe(8);
      expect(threadsOf(plain, 1)).toBe(8);
      // loadModel(model, { workers: 4 }): 4 sessions of 2 threads, not 4 of 8.
      expect(threadsOf(plain, 4)).toBe(2);
      expect(threadsOf(plain, 16)).toBe(1);
      expect(threadsOf(new OnnxModel({ ...base, workers: 4 }))).toBe(2);
      expect(threadsOf(new OnnxModel({ ...base, workers: 4 }), 2)).toBe(4);
      // An explicit count is kept whatever the pool.
      expect(threadsOf(new OnnxModel({ ...base, intraOpThreads: 3 }), 4)).toBe(3);
      expect(
        threadsOf(new OnnxModel({ ...base, sessionOptions: { intraOpNumThreads: 5 } }), 4),
      ).toBe(5);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a model uses them unless told otherwise; explicit options win over sessionOptions', () => {
    const cores = availableParallelism();
    expect(new OnnxModel(base).intraOpThreads).toBe(cores);
    expect(new OnnxModel({ ...base, workers: 2 }).intraOpThreads).toBe(
      Math.max(1, Math.floor(cores / 2)),
    );
    expect(
      new OnnxModel({ ...base, sessionOptions: { intraOpNumThreads: 3 } }).intraOpThreads,
    ).toBe(3);
    const both = new OnnxModel({
      ...base,
      intraOpThreads: 2,
      sessionOptions: { intraOpNumThreads: 3 },
    });
    expect(both.intraOpThreads).toBe(2);
    expect(both.interOpThreads).toBe(1);
  });

  it('intra-op spinning is off unless asked: the option wins over sessionOptions.extra', () => {
    expect(new OnnxModel(base).intraOpSpinning).toBe(false);
    expect(new OnnxModel({ ...base, intraOpSpinning: true }).intraOpSpinning).toBe(true);
    const spinExtra = { extra: { session: { intra_op: { allow_spinning: '1' } } } };
    expect(new OnnxModel({ ...base, sessionOptions: spinExtra }).intraOpSpinning).toBe(true);
    expect(
      new OnnxModel({ ...base, sessionOptions: spinExtra, intraOpSpinning: false }).intraOpSpinning,
    ).toBe(false);
    // ORT spins only for exactly "1": every other value the caller may write means off.
    for (const value of [0, '0', false, 'false', 'off', '']) {
      const extra = { session: { intra_op: { allow_spinning: value } } };
      expect(resolveSpinning({ ...base, sessionOptions: { extra } })).toBe(false);
    }
    for (const value of [1, '1']) {
      const extra = { session: { intra_op: { allow_spinning: value } } };
      expect(resolveSpinning({ ...base, sessionOptions: { extra } })).toBe(true);
    }
    // The flat key form ORT's config also accepts.
    const flat = { extra: { 'session.intra_op.allow_spinning': '1' } };
    expect(resolveSpinning({ ...base, sessionOptions: flat })).toBe(true);
    // The flat key counts beside a nested intra_op object that does not set it.
    const both = {
      extra: { 'session.intra_op.allow_spinning': '1', session: { intra_op: { other: '1' } } },
    };
    expect(resolveSpinning({ ...base, sessionOptions: both })).toBe(true);
    expect(
      ortSessionOptions(flat, { intraOpThreads: 2, interOpThreads: 1, spinning: false }).extra,
    ).toEqual({
      'session.intra_op.allow_spinning': '0',
      session: { intra_op: { allow_spinning: '0' } },
    });
  });

  it('load() hands ORT the resolved options: spinning off unless asked', async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    try {
      for (const intraOpSpinning of [undefined, true]) {
        create.mockClear();
        const model = new OnnxModel({
          name: 'spin',
          bytes: identityModel(ELEM.FLOAT, ['n']),
          intraOpThreads: 2,
          ...(intraOpSpinning === undefined ? {} : { intraOpSpinning }),
        });
        await model.load();
        const options = create.mock.calls.at(-1)?.[1] as ort.InferenceSession.SessionOptions;
        expect(options.intraOpNumThreads).toBe(2);
        expect(options.extra).toEqual({
          session: { intra_op: { allow_spinning: intraOpSpinning ? '1' : '0' } },
        });
        await model.unload();
      }
    } finally {
      create.mockRestore();
    }
  });

  it('ORT gets the resolved threads and allow_spinning, with the rest of extra kept', () => {
    const base = {
      graphOptimizationLevel: 'all' as const,
      extra: { session: { use_env_allocators: '1', intra_op: { allow_spinning: '1' } }, x: 1 },
    };
    const merged = ortSessionOptions(base, {
      intraOpThreads: 4,
      interOpThreads: 1,
      spinning: false,
    });
    expect(merged).toEqual({
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 4,
      interOpNumThreads: 1,
      extra: { session: { use_env_allocators: '1', intra_op: { allow_spinning: '0' } }, x: 1 },
    });
    // The caller's object is not changed.
    expect(base.extra.session.intra_op.allow_spinning).toBe('1');
    expect(
      ortSessionOptions({}, { intraOpThreads: 1, interOpThreads: 1, spinning: true }).extra,
    ).toEqual({ session: { intra_op: { allow_spinning: '1' } } });
  });
});

describe('workers and the runtime plugin', () => {
  it('workerSource() names the package and carries serializable settings with the resolved threads', () => {
    const model = new OnnxModel({
      ...base,
      version: '2',
      workers: 2,
      executionProviders: ['cuda', 'cpu'],
      sessionOptions: { graphOptimizationLevel: 'all' },
      logger: { warn() {} },
    });
    const source = model.workerSource();
    expect(source).toEqual({
      module: '@infer/runtime-onnx',
      resolveFrom: expect.any(String),
      settings: {
        name: 'm',
        version: '2',
        uri: MOBILENET,
        parameters: {
          executionProviders: ['cuda', 'cpu'],
          strictProviders: false,
          intraOpThreads: model.intraOpThreads,
          interOpThreads: 1,
          intraOpSpinning: false,
          sessionOptions: { graphOptimizationLevel: 'all' },
        },
      },
    });
    expect(structuredClone(source)).toEqual(source);
    // The worker side rebuilds an equal model from it.
    const rebuilt = onnx.create(source.settings as never) as OnnxModel;
    expect(rebuilt.intraOpThreads).toBe(model.intraOpThreads);
    expect(rebuilt.workerSource()).toEqual(source);
    // Resolved from the package's own folder, not the working directory: a worker finds the
    // installation the app loaded wherever the process was started.
    expect(realpathSync(source.resolveFrom!)).toMatch(/packages\/runtime-onnx\/(src|dist)$/);
  });

  it('workerSource() carries intraOpSpinning: true to the rebuilt model', () => {
    const model = new OnnxModel({ ...base, workers: 2, intraOpSpinning: true });
    const source = model.workerSource();
    expect((source.settings as { parameters: unknown }).parameters).toMatchObject({
      intraOpSpinning: true,
    });
    const rebuilt = onnx.create(structuredClone(source.settings) as never) as OnnxModel;
    expect(rebuilt.intraOpSpinning).toBe(true);
  });

  it('workerSource() refuses a model made from bytes', () => {
    const model = new OnnxModel({ name: 'b', bytes: identityModel(ELEM.FLOAT, ['n']) });
    expect(() => model.workerSource()).toThrow('options.bytes cannot be used with workers');
  });

  it('the default export is a v1 runtime plugin mapping settings to options', async () => {
    expect(onnx).toMatchObject({ specificationVersion: 'v1', name: '@infer/runtime-onnx' });
    const model = (await onnx.create({
      name: 'mobilenet',
      version: '1',
      uri: MOBILENET,
      parameters: { intraOpThreads: 1 },
      workers: 0,
      batching: { maxBatchSize: 8 },
    })) as OnnxModel;
    expect(model).toBeInstanceOf(OnnxModel);
    expect(model.intraOpThreads).toBe(1);
    expect(model.serving).toEqual({ workers: 0, batching: { maxBatchSize: 8 } });
    await model.load();
    expect(model.metadata().versions).toEqual(['1']);
    await model.unload();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no uri', { name: 'm' }, 'settings.uri must be the path of the .onnx file'],
    [
      'unknown parameter',
      { name: 'm', uri: MOBILENET, parameters: { path: 'x' } },
      'settings.parameters.path is not an @infer/runtime-onnx parameter',
    ],
    [
      'bad parameter',
      { name: 'm', uri: MOBILENET, parameters: { intraOpThreads: -1 } },
      'options.intraOpThreads must be a positive integer',
    ],
  ])('create() rejects settings with %s', (_label, settings, message) => {
    expect(() => createOnnxModel(settings as never)).toThrow(message);
  });

  it.each<[Record<string, unknown>, string]>([
    [
      { parameters: { intraOpThreads: 'x' } },
      'parameters.intraOpThreads: must be a positive integer',
    ],
    [{ parameters: { threads: 1 } }, 'parameters.threads: is not an @infer/runtime-onnx parameter'],
    [{ uri: '' }, 'uri: must be the path of the .onnx file'],
  ])(
    'from a settings file, a bad %j is a SettingsError naming the file and field',
    async (bad, message) => {
      const settings = { name: 'm', runtime: '@infer/runtime-onnx', uri: MOBILENET, ...bad };
      const entry = { settings, source: '/models/m/model-settings.json', baseDir: '/models/m' };
      const failure = createModelFromSettings(entry as never);
      await expect(failure).rejects.toMatchObject({
        code: 'INFER_ERR_INVALID_SETTINGS',
        file: '/models/m/model-settings.json',
      });
      await expect(failure).rejects.toThrow(`/models/m/model-settings.json: ${message}`);
    },
  );
});
