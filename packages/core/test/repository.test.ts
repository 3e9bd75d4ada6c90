import type { InferenceRequest } from '@infer/codecs';
import { describe, expect, it } from 'vitest';
import { defineModel } from '../src/define-model';
import { ModelRepository } from '../src/model-repository';

const x: InferenceRequest = {
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: new Float32Array([1]) }],
};

function echo(
  name: string,
  version?: string,
  hooks: { load?: () => unknown; predict?: () => Promise<void> } = {},
) {
  return defineModel({
    name,
    ...(version === undefined ? {} : { version }),
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    load: async () => {
      await hooks.load?.();
    },
    predict: async (request) => {
      await hooks.predict?.();
      return { outputs: request.inputs, parameters: { version: version ?? 'none' } };
    },
  });
}

describe('ModelRepository', () => {
  it('adds, loads, gets and lists models', async () => {
    const repository = new ModelRepository().add(echo('a')).add(echo('b', '1'));
    expect(repository.ready).toBe(false);
    expect(repository.list()).toEqual([
      { name: 'a', state: 'UNAVAILABLE', reason: 'not loaded yet' },
      { name: 'b', version: '1', state: 'UNAVAILABLE', reason: 'not loaded yet' },
    ]);
    expect(await repository.loadAll()).toEqual([]);
    expect(repository.ready).toBe(true);
    expect(repository.list()).toEqual([
      { name: 'a', state: 'READY' },
      { name: 'b', version: '1', state: 'READY' },
    ]);
    const result = await repository.get('b').predict(x);
    expect(result.parameters).toEqual({ version: '1' });
    await repository.close();
  });

  it('is ready when empty', () => {
    expect(new ModelRepository().ready).toBe(true);
  });

  it('picks the latest version by number, and a given version exactly', async () => {
    const repository = new ModelRepository()
      .add(echo('m', '9'))
      .add(echo('m', '10'))
      .add(echo('m', '2'));
    await repository.loadAll();
    expect(repository.get('m').version).toBe('10');
    expect(repository.get('m', '9').version).toBe('9');
    expect(repository.versions('m')).toEqual(['2', '9', '10']);
    expect(repository.metadata('m').versions).toEqual(['2', '9', '10']);
    expect(() => repository.get('m', '3')).toThrow('Model "m" has no version "3"');
    expect(() => repository.get('nope')).toThrow('Model "nope" not found');
    await repository.close();
  });

  it('falls back to the order of addition for non-numeric versions, and prefers ready ones', async () => {
    const repository = new ModelRepository().add(echo('m', 'blue')).add(echo('m', 'green'));
    await repository.load('m', 'blue');
    expect(repository.get('m').version).toBe('blue'); // green is not loaded
    await repository.load('m', 'green');
    expect(repository.get('m').version).toBe('green');
    await repository.close();
  });

  it('refuses a duplicate name and version (409)', () => {
    const repository = new ModelRepository().add(echo('m', '1'));
    expect(() => repository.add(echo('m', '1'))).toThrow(
      expect.objectContaining({ code: 'INFER_ERR_MODEL_EXISTS', status: 409 }),
    );
    expect(() => repository.add(echo('m', '2'))).not.toThrow();
  });

  it('coalesces concurrent loads of one model into one load', async () => {
    let loads = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const repository = new ModelRepository().add(
      echo('m', undefined, {
        load: async () => {
          loads++;
          await gate;
        },
      }),
    );
    const pending = [repository.load('m'), repository.load('m'), repository.loadAll()];
    expect(repository.status('m').state).toBe('LOADING');
    open();
    const [first, second] = await Promise.all(pending);
    expect(loads).toBe(1);
    expect(first).toBe(second);
    await repository.close();
  });

  it('reports a failing model as not ready with its load error, and keeps serving the others', async () => {
    const repository = new ModelRepository().add(echo('good')).add(
      echo('bad', undefined, {
        load: () => {
          throw new Error('weights.bin missing');
        },
      }),
    );
    const failures = await repository.loadAll();
    expect(failures.map((f) => [f.name, f.error.message])).toEqual([
      ['bad', 'Model "bad" failed to load: weights.bin missing'],
    ]);
    expect(repository.ready).toBe(false);
    expect(repository.status('bad')).toEqual({
      name: 'bad',
      state: 'UNAVAILABLE',
      reason: 'Model "bad" failed to load: weights.bin missing',
    });
    expect(repository.metadata('bad').parameters).toMatchObject({
      state: 'UNAVAILABLE',
      reason: 'Model "bad" failed to load: weights.bin missing',
    });
    expect(() => repository.get('bad')).toThrow(
      expect.objectContaining({ code: 'INFER_ERR_MODEL_NOT_READY', status: 503 }),
    );
    expect((await repository.get('good').predict(x)).outputs).toHaveLength(1);
    await expect(repository.load('bad')).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_LOAD_FAILED',
    });
    await repository.close();
  });

  it('loadAll({ retryFailed: false }) does not load a failed model again; the default retries it', async () => {
    let loads = 0;
    const repository = new ModelRepository().add(echo('good')).add(
      echo('bad', undefined, {
        load: () => {
          loads++;
          throw new Error(`attempt ${loads}`);
        },
      }),
    );
    await repository.loadAll();
    expect(loads).toBe(1);
    const kept = await repository.loadAll({ retryFailed: false });
    expect(loads).toBe(1);
    expect(kept.map((f) => [f.name, f.error.message])).toEqual([
      ['bad', 'Model "bad" failed to load: attempt 1'],
    ]);
    expect(kept[0]!.earlier).toBe(true);
    const retried = await repository.loadAll();
    expect(loads).toBe(2);
    expect(retried.map((f) => f.error.message)).toEqual(['Model "bad" failed to load: attempt 2']);
    expect(retried[0]!.earlier).toBeUndefined();
    expect(repository.status('good').state).toBe('READY');
    await repository.close();
  });

  it('unload drains: running requests finish, new ones get 503, then it is unavailable', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const repository = new ModelRepository().add(echo('m', undefined, { predict: () => gate }));
    await repository.loadAll();
    const served = repository.get('m');
    const running = served.predict(x);
    await new Promise((r) => setTimeout(r, 10));
    const unloading = repository.unload('m');
    expect(repository.status('m').state).toBe('UNLOADING');
    expect(() => repository.get('m')).toThrow(expect.objectContaining({ status: 503 }));
    open();
    await unloading;
    expect((await running).outputs).toHaveLength(1);
    expect(repository.status('m')).toEqual({ name: 'm', state: 'UNAVAILABLE', reason: 'unloaded' });
    expect(repository.ready).toBe(true); // an unloaded model is not expected to be ready
    await repository.load('m');
    expect(repository.get('m').ready).toBe(true);
    await repository.close();
  });

  it('registers without loading with load: false (not counted for readiness)', async () => {
    const repository = new ModelRepository().add(echo('lazy'), { load: false }).add(echo('eager'));
    await repository.loadAll();
    expect(repository.status('lazy').state).toBe('UNAVAILABLE');
    expect(repository.ready).toBe(true);
    await repository.close();
  });

  it('removes a model after draining it', async () => {
    const repository = new ModelRepository().add(echo('m', '1')).add(echo('m', '2'));
    await repository.loadAll();
    await repository.remove('m', '2');
    expect(repository.versions('m')).toEqual(['1']);
    await repository.remove('m');
    expect(repository.has('m')).toBe(false);
  });

  it('validates its options and added models', () => {
    expect(() => new ModelRepository({ logger: 1 as never })).toThrow('options.logger must have');
    expect(() => new ModelRepository().add(echo('m'), { workers: -1 })).toThrow(
      'options.workers must be an integer from 0 to 256',
    );
    expect(() => new ModelRepository().add({ name: 'x' } as never)).toThrow(
      'model.load must be a function',
    );
  });
});
