import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatusOf, InvalidInputError, WorkerCrashedError } from '../../src/errors';
import { WorkerPool } from '../../src/pool';
import { FIXTURE, fixturePool, requestOf } from './pool-fixture';

describe('WorkerPool serving', () => {
  const pool = fixturePool('identity');
  let metadata: Awaited<ReturnType<WorkerPool['start']>>;

  beforeAll(async () => {
    metadata = await pool.start();
  });
  afterAll(() => pool.close());

  it('start() resolves with the metadata a worker reports', () => {
    expect(metadata).toMatchObject({ name: 'fixture-identity', platform: 'pool-test' });
    expect(metadata.inputs[0]?.name).toBe('x');
    expect(pool.size).toBe(2);
    expect(pool.alive).toBe(2);
    expect(pool.restarts).toBe(0);
  });

  it('start() called twice returns the same promise', () => {
    expect(pool.start()).toBe(pool.start());
  });

  it('returns the model outputs and parameters', async () => {
    const result = await pool.run(requestOf([1, 2, 3]));
    expect(Array.from(result.outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);
    expect(result.outputs[0]).toMatchObject({ name: 'x', datatype: 'FP32', shape: [1, 3] });
    expect(result.parameters?.loads).toBe(1);
  });

  it('spreads concurrent work over every worker, each loaded once', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pool.run(requestOf([i]))),
    );
    results.forEach((result, i) => {
      expect((result.outputs[0]!.data as Float32Array)[0]).toBe(i);
      expect(result.parameters?.loads).toBe(1);
    });
    const threads = new Set(results.map((result) => result.parameters?.threadId));
    expect(threads.size).toBe(2);
    expect(pool.pending).toBe(0);
  });

  it('keeps BYTES and several inputs intact', async () => {
    const body = new TextEncoder().encode('__hello__world__');
    const result = await pool.run({
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [2], data: new Float32Array([5, 6]) },
        {
          name: 's',
          datatype: 'BYTES',
          shape: [2],
          data: [body.subarray(2, 7), body.subarray(9, 14)],
        },
      ],
    });
    const strings = (result.outputs[1]!.data as Uint8Array[]).map((b) =>
      new TextDecoder().decode(b),
    );
    expect(strings).toEqual(['hello', 'world']);
    expect(Array.from(body)).toEqual(Array.from(new TextEncoder().encode('__hello__world__')));
  });
});

describe('WorkerPool model errors', () => {
  it('a coded model error keeps its code and HTTP status across the thread', async () => {
    const pool = fixturePool('invalid', { workers: 1 });
    await pool.start();
    const error = await pool.run(requestOf([1])).catch((e: unknown) => e);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(httpStatusOf(error)).toBe(400);
    expect(error).toMatchObject({ message: 'input "x" must be FP32 [-1,-1]', input: 'x' });
    // The worker survives a model error.
    expect(pool.restarts).toBe(0);
    await pool.close();
  });

  it('a plain model error stays a plain error with its name and message', async () => {
    const pool = fixturePool('fails', { workers: 1 });
    await pool.start();
    const error = await pool.run(requestOf([1])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'TypeError', message: 'fixture model failure' });
    expect(httpStatusOf(error)).toBe(500);
    expect(pool.restarts).toBe(0);
    await pool.close();
  });

  it('a thrown plain object keeps its code and message', async () => {
    const pool = fixturePool('throw-object', { workers: 1 });
    await pool.start();
    const error = await pool.run(requestOf([1])).catch((e: unknown) => e);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ message: 'x must be positive' });
    await pool.close();
  });

  it.each([
    ['an output without data', 'no-data', 'tensor "y" has no typed-array data'],
    ['result parameters with a function', 'fn-param', 'result parameters'],
    ['output parameters with a function', 'fn-tensor-param', 'parameters of output "x"'],
  ] as const)(
    'a result the reply cannot carry (%s) is a model error; the thread lives on',
    async (_, behaviour, message) => {
      const pool = fixturePool(behaviour, { workers: 1 });
      await pool.start();
      for (let i = 0; i < 2; i += 1) {
        const error = await pool.run(requestOf([1])).catch((e: unknown) => e);
        expect(WorkerCrashedError.isInstance(error)).toBe(false);
        expect(error).toMatchObject({ name: 'TypeError' });
        expect((error as Error).message).toContain(message);
      }
      expect(pool.restarts).toBe(0);
      await pool.close();
    },
  );
});

describe('WorkerPool sources', () => {
  it('takes a named export with source.export', async () => {
    const pool = new WorkerPool({
      source: { module: FIXTURE, export: 'namedPlugin', settings: { name: 'n' } },
      workers: 1,
    });
    expect((await pool.start()).name).toBe('n-named');
    await pool.close();
  });

  it('resolves a relative module from source.resolveFrom', async () => {
    const pool = new WorkerPool({
      source: {
        module: './pool-runtime.mjs',
        resolveFrom: new URL('../fixtures/', import.meta.url).pathname,
        settings: { name: 'relative' },
      },
      workers: 1,
    });
    expect((await pool.start()).name).toBe('relative');
    await pool.close();
  });

  it('run() before start() rejects with a not-ready error', async () => {
    const pool = fixturePool('identity', { workers: 1 });
    await expect(pool.run(requestOf([1]))).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_READY',
    });
    await pool.close();
  });
});

describe('WorkerPool onStart', () => {
  const pool = fixturePool('slow', { workers: 1, parameters: { delayMs: 60 } });
  beforeAll(() => pool.start());
  afterAll(() => pool.close());

  it('is called when a worker takes the task: at once when one is free, else once it frees', async () => {
    const events: string[] = [];
    const first = pool
      .run(requestOf([1]), { onStart: () => events.push('start 1') })
      .then(() => events.push('done 1'));
    const second = pool
      .run(requestOf([2]), {
        onStart: () => {
          events.push('start 2');
          throw new Error('ignored');
        },
      })
      .then(() => events.push('done 2'));
    expect(events).toEqual(['start 1']);
    expect(pool.pending).toBe(2);
    await Promise.all([first, second]);
    expect(events).toEqual(['start 1', 'done 1', 'start 2', 'done 2']);
  });
});
