import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics';

/** The value of one sample line, e.g. `infer_requests_total{model="m",...} 2`. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe('createMetrics', () => {
  it('counts requests and their latency per model, version, route and status', async () => {
    const metrics = createMetrics();
    metrics.observeRequest({
      model: 'm',
      version: '1',
      route: 'infer',
      status: 200,
      durationMs: 4,
    });
    metrics.observeRequest({
      model: 'm',
      version: '1',
      route: 'infer',
      status: 200,
      durationMs: 8,
    });
    metrics.observeRequest({ model: 'm', route: 'infer', status: 503, durationMs: 1 });
    metrics.observeRequest({ route: 'health_ready', status: 200, durationMs: 0.1 });
    const text = await metrics.render();
    expect(text).toContain('# TYPE infer_requests_total counter');
    expect(sample(text, 'infer_requests_total', { model: 'm', version: '1', status: '200' })).toBe(
      2,
    );
    expect(sample(text, 'infer_requests_total', { model: 'm', status: '503' })).toBe(1);
    expect(sample(text, 'infer_requests_total', { route: 'health_ready' })).toBe(1);
    expect(
      sample(text, 'infer_request_duration_seconds_count', { model: 'm', status: '200' }),
    ).toBe(2);
    expect(
      sample(text, 'infer_request_duration_seconds_sum', { model: 'm', status: '200' }),
    ).toBeCloseTo(0.012, 6);
    // 4 ms falls in the 5 ms bucket, 8 ms does not.
    expect(
      sample(text, 'infer_request_duration_seconds_bucket', { status: '200', le: '0.005' }),
    ).toBe(1);
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it('records batches, queue length, workers, restarts and model loads', async () => {
    const metrics = createMetrics();
    metrics.observeBatch({ model: 'm', size: 3, queueWaitMs: 2, runMs: 10 });
    metrics.observeBatch({ model: 'm', size: 16, queueWaitMs: 0, runMs: 20 });
    metrics.setQueueLength('m', 7);
    metrics.setWorkers('m', 2);
    metrics.incWorkerRestarts('m');
    metrics.incWorkerRestarts('m');
    metrics.observeModelLoad('m', 1500, true);
    metrics.observeModelLoad('bad', 10, false);
    const text = await metrics.render();
    expect(sample(text, 'infer_batch_size_count', { model: 'm' })).toBe(2);
    expect(sample(text, 'infer_batch_size_sum', { model: 'm' })).toBe(19);
    expect(sample(text, 'infer_batch_size_bucket', { model: 'm', le: '4' })).toBe(1);
    expect(sample(text, 'infer_queue_wait_seconds_sum', { model: 'm' })).toBeCloseTo(0.002, 6);
    expect(sample(text, 'infer_batch_run_seconds_sum', { model: 'm' })).toBeCloseTo(0.03, 6);
    expect(sample(text, 'infer_queue_length', { model: 'm' })).toBe(7);
    expect(sample(text, 'infer_workers', { model: 'm' })).toBe(2);
    expect(sample(text, 'infer_worker_restarts_total', { model: 'm' })).toBe(2);
    expect(sample(text, 'infer_model_load_seconds_sum', { model: 'm', result: 'ok' })).toBe(1.5);
    expect(sample(text, 'infer_model_load_seconds_count', { model: 'bad', result: 'error' })).toBe(
      1,
    );
  });

  it('keeps the versions of one model apart (a version unloaded leaves the other as it is)', async () => {
    const metrics = createMetrics();
    metrics.setWorkers('m', 1, '1');
    metrics.setWorkers('m', 2, '2');
    metrics.setWorkers('m', 0, '1'); // version 1 unloaded
    metrics.setQueueLength('m', 3, '2');
    metrics.observeBatch({ model: 'm', version: '2', size: 4, queueWaitMs: 1, runMs: 2 });
    metrics.observeModelLoad('m', 100, true, '2');
    metrics.setWorkers('plain', 1); // a model without versions: version=""
    const text = await metrics.render();
    expect(sample(text, 'infer_workers', { model: 'm', version: '1' })).toBe(0);
    expect(sample(text, 'infer_workers', { model: 'm', version: '2' })).toBe(2);
    expect(sample(text, 'infer_queue_length', { model: 'm', version: '2' })).toBe(3);
    expect(sample(text, 'infer_batch_size_count', { model: 'm', version: '2' })).toBe(1);
    expect(
      sample(text, 'infer_model_load_seconds_count', { model: 'm', version: '2', result: 'ok' }),
    ).toBe(1);
    expect(text).toContain('infer_workers{model="plain",version=""} 1');
  });

  it("registers into the user's registry with their prefix, next to their metrics", async () => {
    const registry = new Registry();
    const mine = new Counter({ name: 'app_hits_total', help: 'hits', registers: [registry] });
    mine.inc();
    const metrics = createMetrics({ registry, prefix: 'ml_' });
    metrics.setQueueLength('m', 1);
    const text = await registry.metrics();
    expect(sample(text, 'app_hits_total')).toBe(1);
    expect(sample(text, 'ml_queue_length', { model: 'm' })).toBe(1);
    expect(text).not.toContain('infer_queue_length');
    expect(metrics.registry).toBe(registry);
    // A second call on the same registry reuses the metrics instead of throwing.
    const again = createMetrics({ registry, prefix: 'ml_' });
    again.setQueueLength('m', 5);
    expect(sample(await metrics.render(), 'ml_queue_length', { model: 'm' })).toBe(5);
  });

  it('collects process metrics when asked', async () => {
    const metrics = createMetrics({ defaultMetrics: true });
    expect(await metrics.render()).toContain('infer_process_cpu_seconds_total');
    expect(await createMetrics().render()).not.toContain('process_cpu_seconds_total');
  });

  it('validates its options with messages that name the option', () => {
    expect(() => createMetrics({ prefix: 'bad-prefix' })).toThrow(/options\.prefix must match/);
    expect(() => createMetrics({ registry: {} as Registry })).toThrow(
      'options.registry must be a prom-client Registry',
    );
    expect(() => createMetrics({ latencyBuckets: [1, 0.5] })).toThrow(
      'options.latencyBuckets must be a non-empty increasing list of positive numbers',
    );
    expect(() => createMetrics({ batchSizeBuckets: [] })).toThrow(
      'options.batchSizeBuckets must be a non-empty increasing list of positive numbers',
    );
  });
});
