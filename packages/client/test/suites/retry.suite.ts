/** 503 with Retry-After from the real server: the typed error, the retry, the deadline. */
import { createClient, type FetchLike, InferClientError } from '@infer/client';
import type { SuiteApi, SuiteHost } from './suite-api';

function countingFetch(): { fetch: FetchLike; calls: () => number } {
  let calls = 0;
  return {
    fetch: (url, init) => {
      calls += 1;
      return fetch(url, init);
    },
    calls: () => calls,
  };
}

export function retrySuite({ describe, it, expect }: SuiteApi, host: SuiteHost): void {
  describe('503 with Retry-After', () => {
    it('without retry, rejects with status 503 and retryAfter', async () => {
      await host.resetOverloaded();
      const client = createClient({ baseUrl: host.url });
      const error = await client
        .model('overloaded-once')
        .infer({ x: new Float32Array(1) })
        .catch((caught: unknown) => caught);
      expect(InferClientError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'INFER_CLIENT_ERR_HTTP',
        status: 503,
        retryAfter: 1,
        attempts: 1,
      });
      expect((error as InferClientError).serverMessage).toMatch(/retry after/);
    });

    it('with retry, waits Retry-After and succeeds', async () => {
      await host.resetOverloaded();
      const counter = countingFetch();
      const client = createClient({ baseUrl: host.url, retry: true, fetch: counter.fetch });
      const started = Date.now();
      const result = await client.model('overloaded-once').infer({ x: new Float32Array([4]) });
      expect(Array.from(result.outputs['y']!.data as Float32Array)).toEqual([4]);
      expect(counter.calls()).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('does not wait past the deadline: rejects at once when Retry-After exceeds timeoutMs', async () => {
      await host.resetOverloaded();
      const client = createClient({ baseUrl: host.url, retry: true, timeoutMs: 500 });
      const started = Date.now();
      const error = await client
        .model('overloaded-once')
        .infer({ x: new Float32Array(1) })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HTTP', status: 503, attempts: 1 });
      expect(Date.now() - started).toBeLessThan(500);
    });
  });
}
