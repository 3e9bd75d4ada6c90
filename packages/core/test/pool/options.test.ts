import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors';
import { WorkerPool, type WorkerPoolOptions } from '../../src/pool';
import { FIXTURE } from './pool-fixture';

const valid = (): WorkerPoolOptions => ({
  source: { module: FIXTURE, settings: { name: 'm' } },
  workers: 2,
});

describe('WorkerPool options are validated at construction', () => {
  const cases: [string, (options: WorkerPoolOptions) => unknown, string][] = [
    ['options', () => null, 'options must be an object'],
    [
      'options.source',
      (o) => ({ ...o, source: undefined }),
      'options.source must be a WorkerSourceV1 object',
    ],
    [
      'options.source.module',
      (o) => ({ ...o, source: { ...o.source, module: ' ' } }),
      'options.source.module must be a non-empty string',
    ],
    [
      'options.source.export',
      (o) => ({ ...o, source: { ...o.source, export: 3 } }),
      'options.source.export must be a non-empty string',
    ],
    [
      'options.source.resolveFrom',
      (o) => ({ ...o, source: { ...o.source, resolveFrom: 1 } }),
      'options.source.resolveFrom must be a directory path',
    ],
    [
      'options.source.settings',
      (o) => ({ ...o, source: { ...o.source, settings: { f: () => 1 } } }),
      'options.source.settings must be structured-cloneable',
    ],
    [
      'options.workers (0)',
      (o) => ({ ...o, workers: 0 }),
      'options.workers must be a positive integer',
    ],
    [
      'options.workers (1.5)',
      (o) => ({ ...o, workers: 1.5 }),
      'options.workers must be a positive integer',
    ],
    ['options.name', (o) => ({ ...o, name: '' }), 'options.name must be a non-empty string'],
    [
      'options.transferInputs',
      (o) => ({ ...o, transferInputs: 'yes' }),
      'options.transferInputs must be a boolean',
    ],
    [
      'options.transferOutputs',
      (o) => ({ ...o, transferOutputs: 1 }),
      'options.transferOutputs must be a boolean',
    ],
    [
      'options.abortRunning',
      (o) => ({ ...o, abortRunning: 'kill' }),
      "options.abortRunning must be 'discard', 'terminate' or 'terminate-on-timeout'",
    ],
    [
      'options.closeTimeoutMs',
      (o) => ({ ...o, closeTimeoutMs: -1 }),
      'options.closeTimeoutMs must be a non-negative number of ms',
    ],
    [
      'options.onRestart',
      (o) => ({ ...o, onRestart: 'log' }),
      'options.onRestart must be a function',
    ],
  ];

  it.each(cases)('%s', (_, change, message) => {
    let error: unknown;
    try {
      new WorkerPool(change(valid()) as WorkerPoolOptions);
    } catch (e) {
      error = e;
    }
    expect(InvalidOptionError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(message);
  });

  it('options.logger must be pino-compatible', () => {
    expect(() => new WorkerPool({ ...valid(), logger: {} as never })).toThrow(
      'options.logger must have debug, info, warn and error methods',
    );
  });

  it('a valid configuration starts nothing until start()', () => {
    const pool = new WorkerPool(valid());
    expect(pool.size).toBe(2);
    expect(pool.alive).toBe(0);
    expect(pool.pending).toBe(0);
  });
});
