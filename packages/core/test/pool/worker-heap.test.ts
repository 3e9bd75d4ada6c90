import { afterEach, describe, expect, it, vi } from 'vitest';

/** What happened, in order: the flag set, the Piscina made. */
const events: string[] = [];
const setFlagsFromString = vi.fn(() => {
  events.push('flag');
});
vi.mock('node:v8', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:v8')>()),
  setFlagsFromString,
}));
vi.mock('piscina', () => ({
  Piscina: class {
    constructor() {
      events.push('piscina');
    }
  },
}));

const { raiseWorkerInitialOldSpace, setsInitialHeap, WORKER_INITIAL_OLD_SPACE_MB } = await import(
  '../../src/pool/worker-heap'
);

afterEach(() => {
  setFlagsFromString.mockClear();
  events.length = 0;
});

describe('the worker isolates initial old-generation size', () => {
  it('is raised to 128 MiB for isolates made from now on', () => {
    expect(raiseWorkerInitialOldSpace(['--enable-source-maps'])).toBe(true);
    expect(setFlagsFromString).toHaveBeenCalledWith(
      `--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`,
    );
    expect(WORKER_INITIAL_OLD_SPACE_MB).toBe(128);
  });

  it('stays as the process set it (either flag, either spelling)', () => {
    for (const flag of [
      '--initial-old-space-size=64',
      '--initial_old_space_size=256',
      '--initial-heap-size=512',
    ]) {
      expect(setsInitialHeap([flag]), flag).toBe(true);
      expect(raiseWorkerInitialOldSpace([flag]), flag).toBe(false);
    }
    expect(setFlagsFromString).not.toHaveBeenCalled();
    expect(setsInitialHeap(['--max-old-space-size=4096', '--initial-old-spaces'])).toBe(false);
  });

  it('is raised before a pool starts its threads', async () => {
    const { createPiscina } = await import('../../src/pool/piscina-setup');
    const { resolveWorkerPoolOptions } = await import('../../src/pool/worker-pool-options');
    createPiscina(
      resolveWorkerPoolOptions({
        source: { module: '@infer/core', export: 'defineModel', settings: {} },
        workers: 1,
      }),
    );
    expect(events).toEqual(['flag', 'piscina']);
  });
});
