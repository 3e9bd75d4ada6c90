/**
 * Faults inside models: a model that throws on some inputs, models that hang (in-process and
 * in a worker thread), a worker thread that dies mid-batch, models that fail to load. In every
 * case the server stays up, the error is a JSON body with a generic message, and the healthy
 * models (and the faulty model's healthy inputs) keep answering.
 *
 * Worker threads load the BUILT `packages/core/dist/pool/worker.js` (`pnpm test` builds first).
 */
import { createMetrics, defineModel, type InferServer } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  echoBody,
  echoModel,
  errorBodyProblem,
  FAULT_RUNTIME,
  HttpClient,
  jsonOf,
  ROOT,
  slowModel,
  startServer,
  xBody,
} from './helpers';

/** A model served by `workers` threads of the fault fixture runtime. */
function workerModel(
  name: string,
  options: { workers?: number; timeoutMs?: number; parameters?: Record<string, unknown> } = {},
) {
  return defineModel({
    name,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    serving: {
      workers: options.workers ?? 1,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    },
    predict: () => {
      throw new Error('runs in a worker thread only');
    },
    workerSource: () => ({
      module: FAULT_RUNTIME,
      settings: { name, parameters: options.parameters ?? {} },
    }),
  });
}

const throwing = defineModel({
  name: 'throwing',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
  outputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
  // One request per batch: a failing request must not take healthy ones down with it.
  serving: { batching: false },
  predict: (request) => {
    const x = request.input('x').tensor;
    if ((x.data as Float32Array).includes(13)) {
      throw new Error('secret connection string postgres://admin:hunter2@db');
    }
    return [x];
  },
});

let server: InferServer;
let client: HttpClient;
const metrics = createMetrics();

beforeAll(async () => {
  server = await startServer({
    metrics,
    models: [
      echoModel('healthy'),
      throwing,
      slowModel('hangs-in-process', { delayMs: 60_000, timeoutMs: 300 }),
      workerModel('worker-hangs', { timeoutMs: 400, parameters: { hangMs: 4_000 } }),
      workerModel('worker-spins', { timeoutMs: 400, parameters: { spinMs: 3_000 } }),
      workerModel('worker-crashes'),
      defineModel({
        name: 'load-throws',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
        outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
        load: () => {
          throw new Error('weights.bin is corrupt');
        },
        predict: (request) => request.inputs,
      }),
      // A real runtime given a file that is not an ONNX model.
      new OnnxModel({ name: 'not-onnx', path: `${ROOT}/fixtures/finch.jpeg`, intraOpThreads: 1 }),
      workerModel('worker-load-fails', { parameters: { loadFails: true } }),
    ],
  });
  client = new HttpClient(server.url, { maxSockets: 8 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.close();
}, 30_000);

async function expectHealthy(): Promise<void> {
  const answer = await client.post('/v2/models/healthy/infer', echoBody(7));
  expect(answer.status).toBe(200);
}

describe('a model that throws on some inputs', () => {
  it('answers 500 with a generic JSON error for those inputs and 200 for the others', async () => {
    for (let round = 0; round < 10; round++) {
      const bad = await client.post('/v2/models/throwing/infer', xBody([1, 13, 2]));
      expect(bad.status).toBe(500);
      expect(errorBodyProblem(bad)).toBe('');
      expect(bad.body.toString()).not.toMatch(/hunter2|postgres|secret/);
      const good = await client.post('/v2/models/throwing/infer', xBody([round, 1]));
      expect(good.status).toBe(200);
    }
    // Interleaved concurrently: each request gets its own outcome.
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, k) =>
        client.post('/v2/models/throwing/infer', xBody(k % 2 === 0 ? [13] : [100 + k])),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(
      Array.from({ length: 16 }, (_, k) => (k % 2 === 0 ? 500 : 200)),
    );
    await expectHealthy();
  });
});

describe('a model that hangs', () => {
  it('in process, honouring its signal: 504 at timeoutMs, and the next request is served', async () => {
    const started = performance.now();
    const hung = await client.post('/v2/models/hangs-in-process/infer', xBody([1]));
    expect(hung.status).toBe(504);
    expect(errorBodyProblem(hung)).toBe('');
    expect(performance.now() - started).toBeLessThan(5_000);
    await expectHealthy();
  });

  it('in a worker (workers: 1): 504, then the worker is recycled and serves the next request', async () => {
    const served = server.repository.get('worker-hangs');
    const hung = await client.post('/v2/models/worker-hangs/infer', xBody([999]));
    expect(hung.status).toBe(504);
    expect(errorBodyProblem(hung)).toBe('');
    const next = await client.post('/v2/models/worker-hangs/infer', xBody([1, 2]));
    expect(next.status).toBe(200);
    expect(served.pool?.restarts).toBeGreaterThanOrEqual(1);
  });

  it('in a worker spinning the CPU (workers: 1): 504, then the next request is served', async () => {
    const hung = await client.post('/v2/models/worker-spins/infer', xBody([998]));
    expect(hung.status).toBe(504);
    const next = await client.post('/v2/models/worker-spins/infer', xBody([1, 2]));
    expect(next.status).toBe(200);
  });
});

describe('a worker thread that dies', () => {
  it('fails only its batch (500, generic), is replaced, counted, and the pool keeps serving', async () => {
    const served = server.repository.get('worker-crashes');
    const before = served.pool?.restarts ?? 0;
    const ok = await client.post('/v2/models/worker-crashes/infer', xBody([1]));
    expect(ok.status).toBe(200);

    const exited = await client.post('/v2/models/worker-crashes/infer', xBody([666]));
    expect(exited.status).toBe(500);
    expect(errorBodyProblem(exited)).toBe('');
    const after = await client.post('/v2/models/worker-crashes/infer', xBody([2, 3]));
    expect(after.status).toBe(200);
    expect((jsonOf(after) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([2, 3]);

    const uncaught = await client.post('/v2/models/worker-crashes/infer', xBody([777]));
    expect(uncaught.status).toBe(500);
    expect(errorBodyProblem(uncaught)).toBe('');
    const again = await client.post('/v2/models/worker-crashes/infer', xBody([4]));
    expect(again.status).toBe(200);

    expect(served.pool!.restarts - before).toBe(2);
    await expectHealthy();
  });

  it('counts the restarts in /metrics', async () => {
    const text = (await client.send({ path: '/metrics' })).body.toString();
    expect(text).toMatch(/infer_worker_restarts_total\{[^}]*model="worker-crashes"[^}]*\} [1-9]/);
  });
});

describe('models that fail to load', () => {
  it('keep the server up and live, not ready, while the other models answer', async () => {
    expect((await client.send({ path: '/v2/health/live' })).status).toBe(200);
    const ready = await client.send({ path: '/v2/health/ready' });
    expect(ready.status).toBe(503);
    expect(jsonOf(ready)).toEqual({ ready: false });
    for (const name of ['load-throws', 'not-onnx', 'worker-load-fails']) {
      const modelReady = await client.send({ path: `/v2/models/${name}/ready` });
      expect(modelReady.status, name).toBe(503);
      expect(jsonOf(modelReady)).toEqual({ name, ready: false });
      const infer = await client.post(`/v2/models/${name}/infer`, xBody([1]));
      expect(infer.status, name).toBe(503);
      expect(errorBodyProblem(infer)).toBe('');
      const metadata = await client.send({ path: `/v2/models/${name}` });
      expect(metadata.status, name).toBe(200);
      expect(jsonOf(metadata)).toMatchObject({ name, parameters: { state: 'UNAVAILABLE' } });
    }
    expect((await client.send({ path: '/v2/models/healthy/ready' })).status).toBe(200);
    expect((await client.send({ path: '/v2/models/nope/ready' })).status).toBe(404);
    await expectHealthy();
  });
});
