/**
 * Settled items are not kept alive by the batcher (issue 8). Under continuous load the
 * batcher's deadline list (one per timeout length) never empties: a new item always joins
 * before the oldest one settles. Settled items must still be dropped from it, or every
 * request's input tensors stay reachable for as long as the load lasts (MobileNet JSON:
 * ~0.6-0.9 MiB of ArrayBuffers per request, RSS growing until the server is idle).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AdaptiveBatcher } from '@infer/batching';
import { describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Item {
  id: number;
  payload: Float32Array;
}

describe('a batcher under continuous load', () => {
  it('keeps no settled item alive while the next one is still running', async () => {
    const ITEMS = 400;
    const release = new Map<number, () => void>();
    const batcher = new AdaptiveBatcher<Item, number>({
      maxBatchSize: 1,
      concurrency: 2,
      timeoutMs: 30_000,
      run: (items) =>
        new Promise((resolve) => release.set(items[0]!.id, () => resolve([items[0]!.id]))),
    });
    const refs: WeakRef<Item>[] = [];
    const submit = (id: number) => {
      const item = { id, payload: new Float32Array(1024) };
      refs.push(new WeakRef(item));
      return batcher.submit(item);
    };
    // Overlapping items: k + 1 is submitted and running before k settles, so at every
    // moment one item is live and the oldest live item moves forward.
    let previous = submit(0);
    for (let id = 1; id < ITEMS; id++) {
      const current = submit(id);
      while (!release.has(id)) await nextTurn();
      release.get(id - 1)!();
      release.delete(id - 1);
      expect(await previous).toBe(id - 1);
      previous = current;
    }
    // The last item still runs: collect, then count the settled items still reachable.
    for (let round = 0; round < 3; round++) {
      gc();
      await nextTurn();
    }
    const alive = refs.slice(0, -1).filter((ref) => ref.deref() !== undefined).length;
    release.get(ITEMS - 1)!();
    expect(await previous).toBe(ITEMS - 1);
    await batcher.close();
    console.info(`settled items still reachable under load: ${alive} of ${ITEMS - 1}`);
    // A bounded few may wait for the next compaction of the list; not one per request.
    expect(alive).toBeLessThanOrEqual(40);
  });
});
