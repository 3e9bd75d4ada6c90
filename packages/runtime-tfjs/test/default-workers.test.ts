/**
 * Where a TfjsModel runs when its options leave `workers` out. Whether tfjs-node is installed
 * is the one thing this machine cannot vary (it cannot be installed here), so that check is
 * stubbed; everything else is the real code.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const native = vi.hoisted(() => ({ installed: false }));
vi.mock('../src/tfjs-backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/tfjs-backend')>()),
  nativeBackendInstalled: () => native.installed,
}));

const { defaultTfjsWorkers, TfjsModel } = await import('../src/index');
const { backendOrder } = await import('../src/tfjs-backend');

const base = { name: 'm', path: '/models/m' };

afterEach(() => {
  native.installed = false;
});

describe('defaultTfjsWorkers', () => {
  it('one worker on wasm or cpu, asked for or the best installed', () => {
    expect(defaultTfjsWorkers(base, true)).toBe(1);
    expect(defaultTfjsWorkers({ ...base, backend: 'wasm' }, true)).toBe(1);
    expect(defaultTfjsWorkers({ ...base, backend: 'cpu' }, true)).toBe(1);
    expect(new TfjsModel(base).serving?.workers).toBe(1);
  });

  it('in-process on tensorflow (tfjs-node), asked for or installed and so chosen', () => {
    // Asked for but not installed: it falls back to wasm or cpu, so a worker.
    expect(defaultTfjsWorkers({ ...base, backend: 'tensorflow' }, true)).toBe(1);
    native.installed = true;
    expect(defaultTfjsWorkers({ ...base, backend: 'tensorflow' }, true)).toBe(0);
    expect(defaultTfjsWorkers(base, true)).toBe(0);
    expect(new TfjsModel(base).serving?.workers).toBe(0);
    // Asked for wasm, the model runs on wasm even where tfjs-node is installed.
    expect(defaultTfjsWorkers({ ...base, backend: 'wasm' }, true)).toBe(1);
  });

  it('in-process for a subclass, whose overrides a worker would lose; the option always wins', () => {
    class Custom extends TfjsModel {}
    expect(new Custom(base).serving?.workers).toBe(0);
    expect(defaultTfjsWorkers(base, false)).toBe(0);
    expect(defaultTfjsWorkers({ ...base, workers: 0 }, true)).toBe(0);
    expect(defaultTfjsWorkers({ ...base, backend: 'tensorflow', workers: 2 }, true)).toBe(2);
    expect(new Custom({ ...base, workers: 3 }).serving?.workers).toBe(3);
  });
});

describe('backendOrder', () => {
  it('never falls back to tfjs-node in a worker thread, where a model on wasm or cpu is served', () => {
    expect(backendOrder('wasm', false, true)).toEqual(['wasm', 'cpu']);
    expect(backendOrder('cpu', false, true)).toEqual(['cpu', 'wasm']);
    expect(backendOrder('wasm', false, false)).toEqual(['wasm', 'tensorflow', 'cpu']);
    // Asked for, or the first choice when none is asked for, it is still tried.
    expect(backendOrder('tensorflow', false, true)).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(backendOrder(undefined, false, true)).toEqual(['tensorflow', 'wasm', 'cpu']);
    expect(backendOrder('wasm', true, true)).toEqual(['wasm']);
  });
});
