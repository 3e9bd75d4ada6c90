import { describe, expect, it } from 'vitest';
import { fixturePool, requestOf } from './pool-fixture';

describe('abort', () => {
  it('an already-aborted signal rejects at once without running', async () => {
    const pool = fixturePool('identity', { workers: 1 });
    await pool.start();
    const signal = AbortSignal.abort('gone');
    const data = new Float32Array([1]);
    const error = await pool.run(requestOf(data), { signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INFER_ERR_ABORTED', cause: 'gone' });
    expect(data.length).toBe(1); // not sent, so not detached
    const next = await pool.run(requestOf([2]));
    expect(next.parameters?.calls).toBe(1);
    await pool.close();
  });

  it('a queued task is removed: it never runs and no worker is harmed', async () => {
    const pool = fixturePool('slow', { workers: 1, parameters: { delayMs: 200 } });
    await pool.start();
    const running = pool.run(requestOf([1]));
    const controller = new AbortController();
    const queued = pool.run(requestOf([2]), { signal: controller.signal });
    expect(pool.pending).toBe(2);
    controller.abort('client left');
    await expect(queued).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED', cause: 'client left' });
    expect(pool.pending).toBe(1);
    expect((await running).parameters?.calls).toBe(1);
    const after = await pool.run(requestOf([3]));
    expect(after.parameters?.calls).toBe(2); // the aborted task was never run
    expect(pool.restarts).toBe(0);
    await pool.close();
  });

  it("a running task (abortRunning 'discard') rejects at once; the worker finishes and keeps its model", async () => {
    const pool = fixturePool('slow', { workers: 1, parameters: { delayMs: 1500 } });
    await pool.start();
    const controller = new AbortController();
    const started = Date.now();
    const task = pool.run(requestOf([1]), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await expect(task).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED' });
    expect(Date.now() - started).toBeLessThan(1200); // did not wait for the 1.5 s task
    const after = await pool.run(requestOf([2]));
    expect(after.parameters?.calls).toBe(2); // same thread, same model: it ran the aborted one
    expect(after.parameters?.loads).toBe(1);
    expect(pool.restarts).toBe(0);
    await pool.close();
  });

  it("a running task (abortRunning 'terminate') kills its thread, which is replaced", async () => {
    const pool = fixturePool('slow', {
      workers: 1,
      abortRunning: 'terminate',
      parameters: { delayMs: 5000 },
    });
    await pool.start();
    const controller = new AbortController();
    const task = pool.run(requestOf([1]), { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await expect(task).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED' });
    expect(pool.restarts).toBe(1);
    await pool.close();
  });

  it("'terminate-on-timeout' kills the thread of a timed-out task, but not of an aborted one", async () => {
    const pool = fixturePool('slow', {
      workers: 1,
      abortRunning: 'terminate-on-timeout',
      parameters: { delayMs: 1000 },
    });
    await pool.start();
    const left = new AbortController();
    const first = pool.run(requestOf([1]), { signal: left.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    left.abort(new Error('client left'));
    await expect(first).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED' });
    expect(pool.restarts).toBe(0);
    const timedOut = new AbortController();
    const second = pool.run(requestOf([2]), { signal: timedOut.signal });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // second is running now
    timedOut.abort(Object.assign(new Error('timed out'), { code: 'INFER_ERR_TIMEOUT' }));
    await expect(second).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED' });
    await expect.poll(() => pool.restarts).toBe(1);
    await pool.close();
  });

  it("'terminate-on-timeout': a task timing out in the queue behind an abandoned hung one kills that thread", async () => {
    const pool = fixturePool('slow', {
      workers: 1,
      abortRunning: 'terminate-on-timeout',
      parameters: { delayMs: 10_000, slowOn: 13 }, // 13 hangs, as far as the test goes
    });
    await pool.start();
    const left = new AbortController();
    const hung = pool.run(requestOf([13]), { signal: left.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    left.abort(new Error('client left'));
    await expect(hung).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED' });
    expect(pool.restarts).toBe(0); // a client that left, nobody waiting: no reload
    const timedOut = new AbortController();
    const queued = pool.run(requestOf([2]), { signal: timedOut.signal });
    const behind = pool.run(requestOf([3]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    timedOut.abort(Object.assign(new Error('timed out'), { code: 'INFER_ERR_TIMEOUT' }));
    await expect(queued).rejects.toMatchObject({ code: 'INFER_ERR_ABORTED' });
    await expect.poll(() => pool.restarts, { timeout: 2000 }).toBe(1);
    // The queue moves again: the task behind runs on the replacement (not after 10 s).
    const result = await behind;
    expect((result.outputs[0]!.data as Float32Array)[0]).toBe(3);
    await pool.close();
  });

  it('an abort storm leaves nothing pending and kills no thread', async () => {
    const pool = fixturePool('slow', { parameters: { delayMs: 2 } });
    await pool.start();
    const tasks = Array.from({ length: 400 }, (_, i) => {
      const controller = new AbortController();
      const task = pool.run(requestOf([i]), { signal: controller.signal });
      setTimeout(() => controller.abort(), Math.random() * 100);
      return task.then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    });
    const outcomes = await Promise.all(tasks);
    expect(outcomes.every((o) => o === 'ok' || o === 'INFER_ERR_ABORTED')).toBe(true);
    expect(outcomes.filter((o) => o === 'INFER_ERR_ABORTED').length).toBeGreaterThan(0);
    expect(pool.pending).toBe(0);
    // Aborts of tasks that had just reached a worker discard their result, never kill it.
    expect(pool.restarts).toBe(0);
    const after = await pool.run(requestOf([1]));
    expect((after.outputs[0]!.data as Float32Array)[0]).toBe(1);
    await pool.close();
  });
});
