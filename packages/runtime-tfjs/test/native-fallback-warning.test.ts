/**
 * An installed tfjs-node that fails to load: the model falls back (in-process, the default
 * where tfjs-node is installed) and says so. tfjs-node cannot be installed here, so the
 * backend selection is stubbed to report that failure; the model load itself is real.
 */
import { describe, expect, it, vi } from 'vitest';
import type { TfjsBackendSelection } from '../src/tfjs-backend';
import { ESRGAN_X2 } from './model-files';

const selection = vi.hoisted(() => ({ failed: [] as { backend: string; reason: string }[] }));
vi.mock('../src/tfjs-backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/tfjs-backend')>()),
  selectTfjsBackend: async (): Promise<TfjsBackendSelection> =>
    ({ backend: 'cpu', provider: '@tensorflow/tfjs', failed: selection.failed }) as never,
}));

const { TfjsModel } = await import('../src/index');

async function warningsOfLoad(): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => {
    if ((warning as { code?: string }).code === 'INFER_TFJS_BACKEND_FALLBACK') {
      warnings.push(warning.message);
    }
  };
  process.on('warning', onWarning);
  const model = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2, workers: 0, warmup: false });
  try {
    await model.load();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
    await model.unload();
  }
  return warnings;
}

describe('no backend asked for', () => {
  it('warns when tfjs-node is installed but could not be used', async () => {
    selection.failed = [
      {
        backend: 'tensorflow',
        reason:
          '@tensorflow/tfjs-node-gpu: not installed; @tensorflow/tfjs-node: libtensorflow.so.2: cannot open shared object file',
      },
    ];
    expect(await warningsOfLoad()).toEqual([
      'TF.js backend "tensorflow" is installed but could not be used for model "esrgan", using "cpu" (@tensorflow/tfjs-node-gpu: not installed; @tensorflow/tfjs-node: libtensorflow.so.2: cannot open shared object file)',
    ]);
  });

  it('stays quiet when tfjs-node is simply not installed', async () => {
    selection.failed = [
      {
        backend: 'tensorflow',
        reason: '@tensorflow/tfjs-node-gpu: not installed; @tensorflow/tfjs-node: not installed',
      },
    ];
    expect(await warningsOfLoad()).toEqual([]);
  });
});
