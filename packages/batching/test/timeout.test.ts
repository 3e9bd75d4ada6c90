import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdaptiveBatcher, TimeoutError } from '../src/index';
import { flush, manualRunner, track } from './helpers';

const execFileAsync = promisify(execFile);

/** Runs an ES module, given as its lines, in a node of its own, beside the built package. */
async function runScript(lines: string[]): Promise<string> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--input-type=module', '-e', lines.join('\n')],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 10_000 },
  );
  return stdout.trim();
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('timeouts', () => {
  it('drops an item that times out while queued: it never runs', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4, timeoutMs: 100 });
    batcher.submit(0, { timeoutMs: 0 }); // occupies the runner, no timeout
    await flush();
    const late = track(batcher.submit(1));
    const kept = batcher.submit(2, { timeoutMs: 500 });
    await vi.advanceTimersByTimeAsync(99);
    expect(late.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.error).toBeInstanceOf(TimeoutError);
    expect(late.error).toMatchObject({ code: 'INFER_ERR_TIMEOUT', status: 504, timeoutMs: 100 });
    expect(batcher.queueLength).toBe(1);
    batches[0]!.resolve([0]);
    await flush();
    expect(batches[1]!.items).toEqual([2]); // item 1 is gone
    batches[1]!.resolve([20]);
    expect(await kept).toBe(20);
  });

  it('rejects an item that times out while running; its result is discarded on return', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4 });
    const short = track(batcher.submit(1, { timeoutMs: 50 }));
    const long = track(batcher.submit(2, { timeoutMs: 500 }));
    await flush();
    expect(batches[0]!.items).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(50);
    expect(short.error).toBeInstanceOf(TimeoutError);
    expect(batches[0]!.signal.aborted).toBe(false); // item 2 still wants the result
    batches[0]!.resolve([10, 20]);
    await flush();
    expect(long.value).toBe(20);
    expect(short.count).toBe(1);
  });

  it('aborts the batch signal once every item of the batch has timed out', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 4, timeoutMs: 30 });
    const results = [track(batcher.submit(1)), track(batcher.submit(2))];
    await flush();
    await vi.advanceTimersByTimeAsync(30);
    expect(results.every((r) => r.error instanceof TimeoutError)).toBe(true);
    expect(batches[0]!.signal.aborted).toBe(true);
    expect(batches[0]!.signal.reason).toBeInstanceOf(TimeoutError);
    expect(batcher.running).toBe(1); // the runner is still busy until run() returns
    batches[0]!.resolve([1, 2]);
    await flush();
    expect(batcher.running).toBe(0);
  });

  it('holds no ref on the event loop for its timer while other work keeps the process busy', async () => {
    vi.useRealTimers();
    const refTimers = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = refTimers();
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, timeoutMs: 60_000 });
    const pending = track(batcher.submit(1));
    await flush();
    expect(batches).toHaveLength(1); // running, its timeout armed
    expect(refTimers()).toBe(before);
    batches[0]!.resolve([1]);
    await flush();
    expect(pending.value).toBe(1);
    await batcher.drain(); // clears the timer
  });

  it('still times out an item whose run never settles when nothing else keeps the process alive', async () => {
    vi.useRealTimers();
    // The built package, in a process of its own: the item's timeout must fire (and reject)
    // before the process exits for want of work.
    const started = performance.now();
    const stdout = await runScript([
      "import { AdaptiveBatcher } from '@infer/batching';",
      'const batcher = new AdaptiveBatcher({ run: () => new Promise(() => {}), timeoutMs: 100 });',
      "batcher.submit(1).then(() => console.log('resolved'), (error) => console.log(error.code));",
    ]);
    expect(stdout).toBe('INFER_ERR_TIMEOUT');
    expect(performance.now() - started).toBeLessThan(8_000);
  });

  it('lets the process exit once its items settled another way, and keeps one exit listener', async () => {
    vi.useRealTimers();
    // An item aborted at 200 ms under a 5 s timeout: after 'beforeExit' ref'd the timer, the
    // abort must unref it again, or the process waits the 5 s out. The ESM and CJS builds
    // both loaded: one 'beforeExit' listener between them, and both items time out.
    const stdout = await runScript([
      "import { createRequire } from 'node:module';",
      "import { AdaptiveBatcher } from '@infer/batching';",
      "const cjs = createRequire(import.meta.url)('@infer/batching');",
      'const hang = () => new Promise(() => {});',
      'const started = performance.now();',
      'new AdaptiveBatcher({ run: hang, timeoutMs: 5000 })',
      '  .submit(1, { signal: AbortSignal.timeout(200) })',
      '  .catch((error) => console.log(error.code));',
      'for (const { AdaptiveBatcher: Batcher } of [{ AdaptiveBatcher }, cjs]) {',
      '  new Batcher({ run: hang, timeoutMs: 100 }).submit(1).catch((error) => console.log(error.code));',
      '}',
      "process.on('exit', () => console.log(process.listenerCount('beforeExit'), Math.round(performance.now() - started)));",
    ]);
    const lines = stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'INFER_ERR_TIMEOUT',
      'INFER_ERR_TIMEOUT',
      'INFER_ERR_ABORTED',
    ]);
    const [listeners, exitedAtMs] = lines[3]!.split(' ').map(Number);
    expect(listeners).toBe(1);
    expect(exitedAtMs).toBeLessThan(3_000);
  });

  it('keeps a timeout longer than setTimeout allows (2^31 - 1 ms) as one timer, not a 1 ms spin', async () => {
    vi.useRealTimers();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const { run, batches } = manualRunner<number>();
      const batcher = new AdaptiveBatcher<number, number>({ run, timeoutMs: 2 ** 32 });
      const result = track(batcher.submit(1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(result.settled).toBe(false);
      batches[0]!.resolve([1]);
      await flush();
      expect(result.value).toBe(1);
      await batcher.close();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('drops the deadline list of a timeout once nothing on it is live (per-call timeouts)', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, maxBatchSize: 1000 });
    const lists = () => (batcher as unknown as { deadlines: Map<number, unknown> }).deadlines.size;
    // A deadline per call, as gRPC clients send.
    const results = Array.from({ length: 200 }, (_, index) =>
      track(batcher.submit(index, { timeoutMs: 1000 + index })),
    );
    await flush();
    expect(lists()).toBe(200);
    for (const batch of batches) batch.resolve(batch.items);
    await flush();
    expect(results.every((r) => r.settled)).toBe(true);
    // Each list's timer fires once more, finds nothing, and its list goes.
    await vi.advanceTimersByTimeAsync(1300);
    expect(lists()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // drain() drops idle lists at once.
    const again = track(batcher.submit(1, { timeoutMs: 5000 }));
    await flush();
    batches.at(-1)!.resolve([1]);
    await batcher.drain();
    expect(again.settled).toBe(true);
    expect(lists()).toBe(0);
  });

  it('timeoutMs 0 means no timeout', async () => {
    const { run, batches } = manualRunner<number>();
    const batcher = new AdaptiveBatcher<number, number>({ run, timeoutMs: 0 });
    const result = track(batcher.submit(1));
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(result.settled).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    batches[0]!.resolve([1]);
    await flush();
    expect(result.value).toBe(1);
  });
});
