import { describe, expect, it } from 'vitest';
import { selectTfjsBackend, TfjsBackendError, TfjsModel } from '../src/index';
import { ESRGAN_X2 } from './model-files';
import { recordingLogger } from './recording-logger';

// tfjs-node cannot be installed here (it downloads libtensorflow), so 'tensorflow' fails the
// way it does for a user without it. TF.js has one backend per thread: this file's order matters.
describe('backend selection', () => {
  it('fails strictly with one error that lists every provider tried and why', async () => {
    const model = new TfjsModel({
      name: 'esrgan',
      path: ESRGAN_X2,
      backend: 'tensorflow',
      strictBackend: true,
    });
    const error = await model.load().catch((e: unknown) => e);
    expect(TfjsBackendError.isInstance(error)).toBe(true);
    expect((error as TfjsBackendError).code).toBe('INFER_ERR_MODEL_LOAD_FAILED');
    expect((error as TfjsBackendError).tried).toEqual([
      {
        backend: 'tensorflow',
        reason: '@tensorflow/tfjs-node-gpu: not installed; @tensorflow/tfjs-node: not installed',
      },
    ]);
    expect((error as Error).message).toMatch(
      /TF.js backend "tensorflow" is not available[\s\S]*- tensorflow: @tensorflow\/tfjs-node-gpu: not installed/,
    );
    expect(model.ready).toBe(false);
  });

  it('falls back to wasm (read from disk) with a warning that says why, and reports it in metadata', async () => {
    const logger = recordingLogger();
    const processWarnings: Error[] = [];
    const onWarning = (warning: Error) => {
      if ((warning as { code?: string }).code === 'INFER_TFJS_BACKEND_FALLBACK') {
        processWarnings.push(warning);
      }
    };
    process.on('warning', onWarning);
    const model = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2, backend: 'tensorflow', logger });
    await model.load();
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    // Told through the logger it was given, not twice.
    expect(processWarnings).toEqual([]);
    expect(model.backend).toBe('wasm');
    expect(model.metadata().parameters).toMatchObject({
      backend: 'wasm',
      backend_provider: '@tensorflow/tfjs-backend-wasm',
    });
    const warning = logger.lines.find((line) => line.level === 'warn');
    expect(warning?.message).toBe(
      'TF.js backend "tensorflow" is not available, using "wasm" (tensorflow: @tensorflow/tfjs-node-gpu: not installed; @tensorflow/tfjs-node: not installed)',
    );
    expect(
      logger.lines.some((line) => line.level === 'info' && line.message.includes('loaded on wasm')),
    ).toBe(true);
    const { outputs } = await model.predict({
      inputs: [{ name: 'LR', datatype: 'FP32', shape: [1, 4, 4, 3], data: new Float32Array(48) }],
    });
    expect(outputs[0]?.shape).toEqual([1, 8, 8, 3]);
    await model.unload();
  });

  it('keeps the thread on its first backend: a later different request warns, or fails when strict', async () => {
    const logger = recordingLogger();
    expect((await selectTfjsBackend({ backend: 'cpu', logger })).backend).toBe('wasm');
    expect(logger.lines[0]?.message).toMatch(
      /TF.js backend "cpu" not used: this thread already runs TF.js on "wasm"/,
    );
    await expect(selectTfjsBackend({ backend: 'cpu', strict: true })).rejects.toThrow(
      /use workers/,
    );
  });

  it('without a logger, a backend other than the one asked for is a process warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const model = new TfjsModel({ name: 'on-cpu', path: ESRGAN_X2, backend: 'cpu', workers: 0 });
    try {
      await model.load();
      await new Promise((resolve) => setImmediate(resolve));
      expect(model.backend).toBe('wasm');
      const ours = warnings.filter(
        (w) => (w as { code?: string }).code === 'INFER_TFJS_BACKEND_FALLBACK',
      );
      expect(ours.map((w) => w.message)).toEqual([
        'TF.js backend "cpu" is not available for model "on-cpu", using "wasm" (this thread already runs TF.js on it)',
      ]);
    } finally {
      process.off('warning', onWarning);
      await model.unload();
    }
  });
});
