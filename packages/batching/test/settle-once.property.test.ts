import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortError, AdaptiveBatcher, OverloadedError, TimeoutError } from '../src/index';
import { flush } from './helpers';

interface Item {
  id: number;
  key: string;
  rows: number;
}

const operation = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('submit' as const),
      timeoutMs: fc.constantFrom(0, 5, 20),
      abortable: fc.boolean(),
      priority: fc.constantFrom(0, 0, 1),
      rows: fc.integer({ min: 1, max: 3 }),
      key: fc.constantFrom('a', 'b'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('abort' as const), index: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      ms: fc.integer({ min: 1, max: 15 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('finish' as const),
      index: fc.nat(),
      outcome: fc.constantFrom('ok', 'ok', 'fail', 'wrong-count'),
    }),
  },
);

const config = fc.record({
  maxBatchSize: fc.constantFrom<number | 'auto'>(1, 2, 4, 'auto'),
  maxBatchDelayMs: fc.constantFrom(0, 0, 3),
  concurrency: fc.integer({ min: 1, max: 2 }),
  maxQueueSize: fc.integer({ min: 2, max: 8 }),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('settle exactly once (property)', () => {
  it('every item settles exactly once, abandoned items never run, the queue ends empty', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(operation, { maxLength: 60 }), async (options, ops) => {
        vi.useFakeTimers();
        let step = 0;
        const batches: Array<{
          items: Item[];
          step: number;
          resolve: (v: number[]) => void;
          reject: (e: unknown) => void;
        }> = [];
        const ranIn = new Map<number, number>(); // item id → step its batch was dispatched
        const batcher = new AdaptiveBatcher<Item, number>({
          ...options,
          rows: (item) => item.rows,
          key: (item) => item.key,
          run: (items) => {
            const limit = batcher.maxBatchSize;
            expect(new Set(items.map((i) => i.key)).size).toBe(1);
            if (options.maxBatchSize !== 'auto' && items.length > 1) {
              expect(items.reduce((sum, i) => sum + i.rows, 0)).toBeLessThanOrEqual(limit);
            }
            for (const item of items) {
              expect(ranIn.has(item.id)).toBe(false); // never in two batches
              ranIn.set(item.id, step);
            }
            return new Promise((resolve, reject) => {
              batches.push({ items, step, resolve, reject });
            });
          },
        });
        const results: Array<{ count: number; value?: number; error?: unknown; step?: number }> =
          [];
        const controllers: AbortController[] = [];
        const failures = new Set<unknown>();

        const check = () => {
          const unsettled = results.filter((r) => r.count === 0).length;
          const inFlight = batches.reduce(
            (sum, b) => sum + b.items.filter((i) => results[i.id]!.count === 0).length,
            0,
          );
          expect(batcher.queueLength).toBe(unsettled - inFlight);
          expect(batcher.running).toBe(batches.length);
        };

        for (const op of ops) {
          step += 1;
          if (op.type === 'submit') {
            const id = results.length;
            const result: (typeof results)[number] = { count: 0 };
            results.push(result);
            const controller = new AbortController();
            if (op.abortable) controllers.push(controller);
            batcher
              .submit(
                { id, key: op.key, rows: op.rows },
                {
                  timeoutMs: op.timeoutMs,
                  priority: op.priority,
                  ...(op.abortable ? { signal: controller.signal } : {}),
                },
              )
              .then(
                (value) => Object.assign(result, { value, count: result.count + 1, step }),
                (error: unknown) => Object.assign(result, { error, count: result.count + 1, step }),
              );
          } else if (op.type === 'abort') {
            controllers[op.index % Math.max(1, controllers.length)]?.abort('user');
          } else if (op.type === 'advance') {
            await vi.advanceTimersByTimeAsync(op.ms);
          } else if (batches.length > 0) {
            const [batch] = batches.splice(op.index % batches.length, 1);
            if (op.outcome === 'ok') batch!.resolve(batch!.items.map((i) => i.id * 10));
            else if (op.outcome === 'wrong-count') batch!.resolve([]);
            else {
              const error = new Error(`batch at step ${batch!.step} failed`);
              failures.add(error);
              batch!.reject(error);
            }
          }
          await flush();
          check();
        }

        // Wind down: close, finish every batch, let every timer fire.
        let closed = false;
        batcher.close().then(() => {
          closed = true;
        });
        for (let round = 0; round < 1000 && (!closed || batches.length > 0); round++) {
          step += 1;
          const batch = batches.shift();
          batch?.resolve(batch.items.map((i) => i.id * 10));
          await vi.advanceTimersByTimeAsync(5);
        }
        await flush();
        expect(closed).toBe(true);
        expect(batcher.queueLength).toBe(0);
        expect(batcher.running).toBe(0);
        expect(vi.getTimerCount()).toBe(0);

        results.forEach((result, id) => {
          expect(result.count).toBe(1);
          const ran = ranIn.get(id);
          if (result.error === undefined) {
            expect(result.value).toBe(id * 10);
            expect(ran).toBeDefined();
          } else if (result.error instanceof OverloadedError) {
            expect(ran).toBeUndefined();
          } else if (result.error instanceof TimeoutError || result.error instanceof AbortError) {
            // Abandoned items are never dispatched after they were given up.
            if (ran !== undefined) expect(ran).toBeLessThanOrEqual(result.step!);
          } else {
            expect(ran).toBeDefined();
            expect(
              failures.has(result.error) || (result.error as Error).name === 'BatchAssemblyError',
            ).toBe(true);
          }
        });
        vi.useRealTimers();
      }),
      { numRuns: 150 },
    );
  });
});
