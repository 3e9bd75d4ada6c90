import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelLoadFailedError } from '../../src/errors';
import { WorkerPool } from '../../src/pool';
import { FIXTURE, fixturePool, requestOf, sharedCounter } from './pool-fixture';

describe('start() when the model cannot load', () => {
  it('rejects with the worker error message when load() throws, and leaves no thread', async () => {
    const pool = fixturePool('load-fails');
    const error = await pool.start().catch((e: unknown) => e);
    expect(ModelLoadFailedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('cannot read weights.bin: fixture load failure');
    expect((error as ModelLoadFailedError).model).toBe('fixture-load-fails');
    expect(pool.alive).toBe(0);
    expect(pool.restarts).toBe(0);
    await expect(pool.run(requestOf([1]))).rejects.toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_READY',
    });
    await pool.close();
  });

  it('rejects when load() kills its thread', async () => {
    const pool = fixturePool('load-exits');
    const error = await pool.start().catch((e: unknown) => e);
    expect(ModelLoadFailedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('exited with code: 4');
    expect(pool.alive).toBe(0);
    await pool.close();
  });

  it('rejects when the module cannot be resolved, naming where it looked', async () => {
    const pool = new WorkerPool({
      source: { module: 'infer-runtime-does-not-exist', settings: { name: 'm' } },
      workers: 1,
    });
    const error = await pool.start().catch((e: unknown) => e);
    expect(ModelLoadFailedError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('infer-runtime-does-not-exist');
    expect((error as Error).message).toContain('not installed');
  });

  it('rejects when the export is not a RuntimePluginV1', async () => {
    const pool = new WorkerPool({
      source: { module: FIXTURE, export: 'notAPlugin', settings: { name: 'm' } },
      workers: 1,
    });
    const error = await pool.start().catch((e: unknown) => e);
    expect((error as Error).message).toContain('export "notAPlugin" is not a RuntimePluginV1');
    expect(pool.alive).toBe(0);
  });

  it('rejects when the export is missing', async () => {
    const pool = new WorkerPool({
      source: { module: FIXTURE, export: 'nothingHere', settings: { name: 'm' } },
      workers: 1,
    });
    await expect(pool.start()).rejects.toMatchObject({ code: 'INFER_ERR_MODEL_LOAD_FAILED' });
  });
});

describe('warnings a thread emits while it loads the model', () => {
  it('are emitted once on the main thread, with their type, code and detail', async () => {
    const seen: Error[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'FixtureWarning') seen.push(warning);
    };
    process.on('warning', onWarning);
    const pool = fixturePool('identity', { parameters: { warnAtLoad: 'provider x missing' } });
    try {
      await pool.start();
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        name: 'FixtureWarning',
        message: 'provider x missing',
        code: 'FIXTURE_WARNING',
        detail: 'fixture detail',
      });
    } finally {
      process.off('warning', onWarning);
      await pool.close();
    }
  });

  it('are emitted when start() fails because another thread could not load', async () => {
    const seen: Error[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'FixtureWarning') seen.push(warning);
    };
    process.on('warning', onWarning);
    // One of the two loads fails (the counter is shared); the other warns and loads.
    const failLoads = sharedCounter(1);
    const pool = fixturePool('identity', {
      parameters: { warnAtLoad: 'from the one that loaded', failLoads },
    });
    try {
      await expect(pool.start()).rejects.toMatchObject({ code: 'INFER_ERR_MODEL_LOAD_FAILED' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen.map((w) => w.message)).toEqual(['from the one that loaded']);
    } finally {
      process.off('warning', onWarning);
      await pool.close();
    }
  });

  it('print once in all, not once more per thread', async () => {
    const core = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    const script = `
      const { WorkerPool } = await import(${JSON.stringify(core)});
      const pool = new WorkerPool({
        source: { module: ${JSON.stringify(FIXTURE)}, settings: { name: 'w', parameters: { warnAtLoad: 'provider x missing' } } },
        workers: 2,
      });
      await pool.start();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await pool.close();`;
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { timeout: 30_000 },
        (error, _out, err) =>
          error ? reject(new Error(`${error.message}\n${err}`)) : resolve(err),
      );
    });
    expect(stderr.match(/FixtureWarning: provider x missing/g)).toHaveLength(1);
  });
});
