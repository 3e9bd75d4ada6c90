/**
 * A TfjsModel on wasm or cpu is served in one worker thread by default. Worker threads import
 * the BUILT packages (`pnpm build` first; `pnpm test` does it).
 */
import { loadModel } from '@infer/core';
import { describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { ESRGAN_X2 } from './model-files';

const tile = (side: number) => ({
  inputs: [
    {
      name: 'LR',
      datatype: 'FP32' as const,
      shape: [1, side, side, 3],
      data: Float32Array.from({ length: side * side * 3 }, (_, i) => (i % 7) / 7),
    },
  ],
});

describe('TfjsModel served by default', () => {
  it('runs on wasm in one worker thread: the main thread never loads it', async () => {
    const model = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2, backend: 'wasm' });
    const served = await loadModel(model);
    try {
      expect(served.pool?.size).toBe(1);
      expect(served.metadata().parameters).toMatchObject({ backend: 'wasm', workers: 1 });
      expect(model.backend).toBeUndefined();
      const { outputs } = await served.predict(tile(4));
      expect(outputs[0]?.shape).toEqual([1, 8, 8, 3]);
    } finally {
      await served.close();
    }
  });

  it('runs on the best installed backend in one worker when none is asked for (no tfjs-node here)', async () => {
    const served = await loadModel(new TfjsModel({ name: 'esrgan', path: ESRGAN_X2 }));
    try {
      expect(served.pool?.size).toBe(1);
      expect(served.metadata().parameters).toMatchObject({ backend: 'wasm', workers: 1 });
    } finally {
      await served.close();
    }
  });

  it("reports a fallback in the worker once, as a warning on the main thread's process", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    // The wasm files are not where it is told to look: the worker falls back to cpu.
    const model = new TfjsModel({
      name: 'esrgan',
      path: ESRGAN_X2,
      backend: 'wasm',
      wasmPath: '/nonexistent/wasm/',
    });
    const served = await loadModel(model);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      expect(served.metadata().parameters).toMatchObject({ backend: 'cpu' });
      const ours = warnings.filter(
        (w) => (w as { code?: string }).code === 'INFER_TFJS_BACKEND_FALLBACK',
      );
      expect(ours).toHaveLength(1);
      expect(ours[0]?.message).toMatch(
        /^TF.js backend "wasm" is not available for model "esrgan", using "cpu" \(tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm not found in \/nonexistent\/wasm\/\)$/,
      );
      const { outputs } = await served.predict(tile(4));
      expect(outputs[0]?.shape).toEqual([1, 8, 8, 3]);
    } finally {
      process.off('warning', onWarning);
      await served.close();
    }
  });
});
