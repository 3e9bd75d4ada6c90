/**
 * An installed tfjs-node that fails to load: the model falls back (in-process, the default
 * where tfjs-node is installed) and says so. tfjs-node cannot be installed here, so the
 * backend selection and the installed check are stubbed; the model load itself is real.
 */
import { describe, expect, it, vi } from 'vitest';
import type { TfjsBackendSelection } from '../src/tfjs-backend';
import { ESRGAN_X2 } from './model-files';
import { recordingLogger } from './recording-logger';

const stub = vi.hoisted(() => ({
  installed: true,
  failed: [] as { backend: 'tensorflow'; reason: string }[],
}));
vi.mock('../src/tfjs-backend', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/tfjs-backend')>();
  return {
    ...original,
    selectTfjsBackend: async (): Promise<TfjsBackendSelection> => ({
      backend: 'cpu',
      provider: '@tensorflow/tfjs',
      failed: stub.failed,
    }),
    nativeFailed: (chosen: TfjsBackendSelection) => original.nativeFailed(chosen, stub.installed),
  };
});

const { TfjsModel } = await import('../src/index');
const { nativeFailed, selectTfjsBackend } =
  await vi.importActual<typeof import('../src/tfjs-backend')>('../src/tfjs-backend');

const BROKEN =
  '@tensorflow/tfjs-node-gpu: not installed; @tensorflow/tfjs-node: libtensorflow.so.2: cannot open shared object file';

async function warningsOfLoad(name: string, loads = 1): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => {
    if ((warning as { code?: string }).code === 'INFER_TFJS_BACKEND_FALLBACK') {
      warnings.push(warning.message);
    }
  };
  process.on('warning', onWarning);
  const model = new TfjsModel({ name, path: ESRGAN_X2, workers: 0, warmup: false });
  try {
    for (let i = 0; i < loads; i++) {
      await model.load();
      await new Promise((resolve) => setImmediate(resolve));
      await model.unload();
    }
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

describe('no backend asked for', () => {
  it('warns once per model when tfjs-node is installed but could not be used', async () => {
    stub.installed = true;
    stub.failed = [{ backend: 'tensorflow', reason: BROKEN }];
    expect(await warningsOfLoad('esrgan', 2)).toEqual([
      `TF.js backend "tensorflow" is installed but could not be used for model "esrgan", using "cpu" (${BROKEN})`,
    ]);
  });

  it('stays quiet when tfjs-node is not installed', async () => {
    stub.installed = false;
    stub.failed = [
      {
        backend: 'tensorflow',
        reason: '@tensorflow/tfjs-node-gpu: not installed; @tensorflow/tfjs-node: not installed',
      },
    ];
    expect(await warningsOfLoad('quiet')).toEqual([]);
  });

  it('nativeFailed: installed, tried and not chosen', () => {
    const failed = [{ backend: 'tensorflow' as const, reason: BROKEN }];
    expect(nativeFailed({ backend: 'wasm', provider: 'p', failed }, true)).toBe(true);
    expect(nativeFailed({ backend: 'wasm', provider: 'p', failed }, false)).toBe(false);
    expect(nativeFailed({ backend: 'wasm', provider: 'p', failed: [] }, true)).toBe(false);
    expect(nativeFailed({ backend: 'tensorflow', provider: 'p', failed: [] }, true)).toBe(false);
  });
});

describe('selectTfjsBackend with a logger', () => {
  it('informs (no warning) when tfjs-node is simply not installed', async () => {
    // The real selection: no tfjs-node here. (Installed but broken, `nativeFailed` above is
    // what makes it a warning; tfjs-node cannot be installed here to show it end to end.)
    const logger = recordingLogger();
    await selectTfjsBackend({ logger });
    expect(logger.lines.map((line) => line.level)).toEqual(['info']);
  });
});
