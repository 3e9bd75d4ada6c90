/** AbortSignal and timeoutMs against the real server's `slow` model. */
import { createClient } from '@infer/client';
import { eventually, type SuiteApi, type SuiteHost } from './suite-api';

const slow = (ms: number) => [{ x: new Float32Array([1]) }, { parameters: { ms } }] as const;

export function abortSuite({ describe, it, expect }: SuiteApi, host: SuiteHost): void {
  describe('AbortSignal', () => {
    it('aborts a running call with INFER_CLIENT_ERR_ABORTED, the reason as cause, and the server sees it', async () => {
      const client = createClient({ baseUrl: host.url });
      const before = await host.slowCalls();
      const controller = new AbortController();
      const [inputs, options] = slow(5000);
      const pending = client
        .model('slow')
        .infer(inputs, { ...options, signal: controller.signal })
        .catch((caught: unknown) => caught);
      // Abort once the server runs the model, so that there is a request to stop.
      const running = async () => (await host.slowCalls()).started > before.started;
      expect(await eventually(running, 5000)).toBe(true);
      const abortedAt = Date.now();
      controller.abort(new Error('user left'));
      const error = await pending;
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED' });
      expect(((error as Error).cause as Error).message).toBe('user left');
      expect(Date.now() - abortedAt).toBeLessThan(1000);
      // The request really stopped: the connection closed and the model's signal aborted.
      const stopped = async () => (await host.slowCalls()).aborted > before.aborted;
      expect(await eventually(stopped, 3000)).toBe(true);
    });

    it('rejects at once for an already aborted signal and sends nothing', async () => {
      let sent = 0;
      const counted = createClient({
        baseUrl: host.url,
        fetch: (url, init) => {
          sent += 1;
          return fetch(url, init);
        },
      });
      const error = await counted
        .model('echo-fp32')
        .infer({ x: new Float32Array(1) }, { signal: AbortSignal.abort('gone') })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED', cause: 'gone' });
      expect(sent).toBe(0);
    });

    it('stops a retry wait', async () => {
      await host.resetOverloaded();
      const retrying = createClient({ baseUrl: host.url, retry: true });
      const started = Date.now();
      const error = await retrying
        .model('overloaded-once')
        .infer({ x: new Float32Array(1) }, { signal: AbortSignal.timeout(200) })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_ABORTED' });
      expect(Date.now() - started).toBeLessThan(900);
    });

    it('works on the read-only calls too', async () => {
      const client = createClient({ baseUrl: host.url });
      await expect(client.live({ signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: 'INFER_CLIENT_ERR_ABORTED',
      });
      await expect(
        client.model('slow').metadata({ signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({
        code: 'INFER_CLIENT_ERR_ABORTED',
      });
    });
  });

  describe('timeoutMs', () => {
    it('rejects INFER_CLIENT_ERR_TIMEOUT after the client deadline', async () => {
      const timed = createClient({ baseUrl: host.url, timeoutMs: 200 });
      const started = Date.now();
      const [inputs, options] = slow(5000);
      const error = await timed
        .model('slow')
        .infer(inputs, options)
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
      expect((error as Error).message).toMatch(/timed out after 200 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('takes a per-call timeoutMs over the client one', async () => {
      const client = createClient({ baseUrl: host.url });
      const [inputs, options] = slow(5000);
      await expect(
        client.model('slow').infer(inputs, { ...options, timeoutMs: 150 }),
      ).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_TIMEOUT' });
      const result = await client
        .model('slow')
        .infer(inputs, { parameters: { ms: 10 }, timeoutMs: 5000 });
      expect(result.outputs['y']).toBeDefined();
    });
  });
}
