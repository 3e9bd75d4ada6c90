import { createHash } from 'node:crypto';
import {
  decodeInferenceResponse,
  encodeInferenceRequest,
  type InferenceRequest,
  type Tensor,
} from '@infer/codecs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineModel } from '../src/define-model';
import { BodyTooLargeError } from '../src/errors';
import { InferenceService, type InferenceServiceOptions } from '../src/inference-service';
import type { Logger } from '../src/logger';
import { createMetrics } from '../src/metrics';
import type { InferMetrics, RequestObservation } from '../src/metrics/infer-metrics';
import { ModelRepository } from '../src/model-repository';
import type { ModelV1 } from '../src/spec';
import { loadOipSchemas } from './helpers/oip-schema';

const oip = loadOipSchemas();

const FP32 = (name: string) => ({ name, datatype: 'FP32' as const, shape: [-1, 2] });

/** y = 2x, z = x + 1 (FP32 [-1,2]); `slow` waits for its signal; `broken` fails to load. */
function models(probe: { slowSignals: AbortSignal[]; calls: number }) {
  const doubler = defineModel({
    name: 'doubler',
    version: '1',
    inputs: [FP32('x')],
    outputs: [FP32('y'), FP32('z')],
    predict: (request) => {
      probe.calls++;
      const x = request.input('x').typed('FP32');
      const shape = request.input('x').shape;
      return [
        { name: 'y', datatype: 'FP32', shape, data: x.map((v) => v * 2) },
        { name: 'z', datatype: 'FP32', shape, data: x.map((v) => v + 1) },
      ];
    },
  });
  const doubler2 = defineModel({
    name: 'doubler',
    version: '2',
    inputs: [FP32('x')],
    outputs: [FP32('y')],
    predict: (request) => [{ ...request.input('x').tensor, name: 'y' }],
  });
  const slow = defineModel({
    name: 'slow',
    inputs: [FP32('x')],
    outputs: [FP32('x')],
    serving: { batching: false },
    predict: (request, { signal }) =>
      new Promise<Tensor[]>((resolve) => {
        probe.calls++;
        probe.slowSignals.push(signal!);
        const done = () => resolve(request.inputs);
        const timer = setTimeout(done, 5_000);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          done();
        });
      }),
  });
  const failing = defineModel({
    name: 'failing',
    inputs: [FP32('x')],
    outputs: [FP32('x')],
    predict: () => {
      throw new Error('SECRET /srv/weights corrupt');
    },
  });
  const broken = defineModel({
    name: 'broken',
    inputs: [FP32('x')],
    outputs: [FP32('x')],
    load: () => {
      throw new Error('file model.onnx not found');
    },
    predict: () => [],
  });
  return [doubler, doubler2, slow, failing, broken];
}

const services: InferenceService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.shutdown({ timeoutMs: 1000 })));
});

async function setup(options: Partial<InferenceServiceOptions> = {}, extra: ModelV1[] = []) {
  const probe = { slowSignals: [] as AbortSignal[], calls: 0 };
  const repository = new ModelRepository();
  for (const model of [...models(probe), ...extra]) repository.add(model);
  await repository.loadAll();
  const service = new InferenceService({ repository, ...options });
  services.push(service);
  return { service, repository, probe };
}

const body = (values: number[], extra: Partial<InferenceRequest> = {}) => ({
  id: 'req-1',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [values.length / 2, 2], data: values }],
  ...extra,
});

describe('health and metadata routes', () => {
  it('GET /v2/health/live is 200 {live: true}', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/health/live');
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ live: true });
    expect(response.headers['content-type']).toBe('application/json');
  });

  it('GET /v2/health/ready is 503 while a model that should be loaded is not, 200 once it is', async () => {
    const { service, repository } = await setup();
    const notReady = await service.request('/v2/health/ready');
    expect(notReady.status).toBe(503); // "broken" failed to load
    expect(notReady.json()).toEqual({ ready: false });
    await repository.remove('broken');
    const ready = await service.request('/v2/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ ready: true });
  });

  it('GET /v2 (and /v2/) returns server metadata per the spec', async () => {
    const { service } = await setup();
    for (const path of ['/v2', '/v2/']) {
      const response = await service.request(path);
      expect(response.status).toBe(200);
      oip.assert('metadata_server_response', response.json());
      expect(response.json()).toMatchObject({ name: 'infer', version: '0.1.0' });
      expect((response.json() as { extensions: string[] }).extensions).toContain(
        'binary_tensor_data',
      );
    }
  });

  it('GET /v2/models/{m} returns the latest version metadata; /versions/{v} that version', async () => {
    const { service } = await setup();
    const latest = await service.request('/v2/models/doubler');
    expect(latest.status).toBe(200);
    oip.assert('metadata_model_response', latest.json());
    expect(latest.json()).toMatchObject({
      name: 'doubler',
      versions: ['1', '2'],
      platform: 'custom',
      outputs: [{ name: 'y' }],
    });
    const v1 = await service.request('/v2/models/doubler/versions/1');
    oip.assert('metadata_model_response', v1.json());
    expect((v1.json() as { outputs: unknown[] }).outputs).toHaveLength(2);
    expect((v1.json() as { parameters: object }).parameters).toMatchObject({ batchable: true });
  });

  it('reports a model that failed to load with its error in metadata', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/models/broken');
    expect(response.status).toBe(200);
    oip.assert('metadata_model_response', response.json());
    expect((response.json() as { parameters: object }).parameters).toEqual({
      state: 'UNAVAILABLE',
      reason: 'Model "broken" failed to load: file model.onnx not found',
    });
  });

  it('GET .../ready is 200 for a ready model, 503 for one that is not', async () => {
    const { service } = await setup();
    const ready = await service.request('/v2/models/doubler/ready');
    expect([ready.status, ready.json()]).toEqual([200, { name: 'doubler', ready: true }]);
    const version = await service.request('/v2/models/doubler/versions/2/ready');
    expect(version.status).toBe(200);
    const broken = await service.request('/v2/models/broken/ready');
    expect([broken.status, broken.json()]).toEqual([503, { name: 'broken', ready: false }]);
  });

  it('404s an unknown model or version with an OIP error body', async () => {
    const { service } = await setup();
    for (const path of [
      '/v2/models/nope',
      '/v2/models/nope/ready',
      '/v2/models/doubler/versions/9',
    ]) {
      const response = await service.request(path);
      expect(response.status).toBe(404);
      oip.assert('metadata_model_error_response', response.json());
    }
    expect((await service.request('/v2/models/nope')).json()).toEqual({
      error: 'Model "nope" not found',
    });
  });

  it('decodes URL-escaped model names', async () => {
    const { service } = await setup({}, [
      defineModel({ name: 'résumé:v1', inputs: [], outputs: [], predict: () => [] }),
    ]);
    const response = await service.request('/v2/models/r%C3%A9sum%C3%A9%3Av1/ready');
    expect(response.json()).toEqual({ name: 'résumé:v1', ready: true });
    expect(response.status).toBe(200);
    expect((await service.request('/v2/models/%E0%A4%A')).status).toBe(400);
  });
});

describe('POST infer (JSON)', () => {
  it('answers an OIP inference response with model name, version and id', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/models/doubler/versions/1/infer', {
      body: body([1, 2, 3, 4]),
    });
    expect(response.status).toBe(200);
    const json = response.json();
    oip.assert('inference_response', json);
    expect(json).toEqual({
      model_name: 'doubler',
      model_version: '1',
      id: 'req-1',
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [2, 2], data: [2, 4, 6, 8] },
        { name: 'z', datatype: 'FP32', shape: [2, 2], data: [2, 3, 4, 5] },
      ],
    });
  });

  it('uses the latest version when none is given', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/models/doubler/infer', { body: body([1, 2]) });
    expect(response.json()).toMatchObject({ model_name: 'doubler', model_version: '2' });
  });

  it('returns only the requested outputs', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/models/doubler/versions/1/infer', {
      body: body([1, 2], { outputs: [{ name: 'z' }] }),
    });
    expect((response.json() as { outputs: { name: string }[] }).outputs.map((o) => o.name)).toEqual(
      ['z'],
    );
    const unknown = await service.request('/v2/models/doubler/versions/1/infer', {
      body: body([1, 2], { outputs: [{ name: 'q' }] }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json()).toEqual({ error: 'Model "doubler" has no output "q"' });
  });

  it('accepts JSON with a charset and without a Content-Type', async () => {
    const { service } = await setup();
    const text = JSON.stringify(body([1, 2]));
    for (const headers of [{ 'content-type': 'application/json; charset=utf-8' }, {}]) {
      const response = await service.request('/v2/models/doubler/infer', { body: text, headers });
      expect(response.status).toBe(200);
    }
  });

  it('answers 400 with the codec message for a malformed body', async () => {
    const { service } = await setup();
    const cases = [
      '{"inputs": ',
      '{"inputs": 3}',
      '',
      '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1]}]}',
    ];
    for (const text of cases) {
      const response = await service.request('/v2/models/doubler/infer', {
        method: 'POST',
        body: text,
        headers: { 'content-type': 'application/json' },
      });
      expect(response.status, text).toBe(400);
      oip.assert('inference_error_response', response.json());
      expect((response.json() as { error: string }).error).not.toBe('');
    }
  });

  it('answers 400 naming the input and the expectation when the request does not fit the model', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/models/doubler/infer', {
      body: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] },
    });
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({
      error: 'input "x" must be FP32 [-1,2] (-1: any size), got FP32 [1,3]',
    });
  });

  it('answers 415 for an unsupported Content-Type', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/models/doubler/infer', {
      body: JSON.stringify(body([1, 2])),
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.status).toBe(415);
    expect((response.json() as { error: string }).error).toContain('application/json');
  });

  it('answers 415 for a Content-Type with no media type in it (as Fastify does), naming it as sent', async () => {
    const { service } = await setup();
    for (const contentType of [';;', ' ', '; charset=utf-8']) {
      const response = await service.request('/v2/models/doubler/infer', {
        body: JSON.stringify(body([1, 2])),
        headers: { 'content-type': contentType },
      });
      expect(response.status).toBe(415);
      expect((response.json() as { error: string }).error).toBe(
        `Content-Type ${JSON.stringify(contentType)} is not supported; send application/json or application/octet-stream`,
      );
    }
    // No Content-Type at all is still JSON.
    const plain = await service.request('/v2/models/doubler/infer', {
      body: JSON.stringify(body([1, 2])),
      headers: {},
    });
    expect(plain.status).toBe(200);
  });

  it('answers 404 for an unknown model and 503 for a model that is not ready', async () => {
    const { service } = await setup();
    expect((await service.request('/v2/models/nope/infer', { body: body([1, 2]) })).status).toBe(
      404,
    );
    const broken = await service.request('/v2/models/broken/infer', { body: body([1, 2]) });
    expect(broken.status).toBe(503);
    expect((broken.json() as { error: string }).error).toContain('file model.onnx not found');
  });

  it('answers 500 for a model failure without leaking its message, and logs it with the request id', async () => {
    const logged: Record<string, unknown>[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (object) => logged.push(object as Record<string, unknown>),
    };
    const { service } = await setup({ logger });
    const response = await service.request('/v2/models/failing/infer', {
      body: body([1, 2]),
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(response.status).toBe(500);
    expect(response.text()).not.toContain('SECRET');
    expect(response.json()).toEqual({ error: 'Model "failing" failed to predict' });
    const line = logged.find((entry) => entry.requestId === 'abc-123');
    expect(line).toMatchObject({ code: 'INFER_ERR_MODEL_FAILED', route: 'infer' });
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const probe = { slowSignals: [] as AbortSignal[], calls: 0 };
    const slow = models(probe)[2]!;
    const repository = new ModelRepository().add(slow, { maxQueueSize: 1 });
    await repository.loadAll();
    const service = new InferenceService({ repository });
    services.push(service);
    const controller = new AbortController();
    const running = service.request('/v2/models/slow/infer', {
      body: body([1, 2]),
      signal: controller.signal,
    });
    while (probe.slowSignals.length === 0) await new Promise((r) => setTimeout(r, 2));
    const queued = service.request('/v2/models/slow/infer', {
      body: body([1, 2]),
      signal: controller.signal,
    });
    const rejected = await service.request('/v2/models/slow/infer', { body: body([1, 2]) });
    expect(rejected.status).toBe(503);
    expect(rejected.headers['retry-after']).toMatch(/^\d+$/);
    controller.abort();
    expect((await running).status).toBe(499);
    expect((await queued).status).toBe(499);
  });
});

describe('POST infer (binary tensor extension)', () => {
  it('decodes a binary request and encodes binary outputs when asked', async () => {
    const { service } = await setup();
    const request: InferenceRequest = {
      id: 'bin',
      parameters: { binary_data_output: true },
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([1.5, -2]) }],
    };
    const encoded = encodeInferenceRequest(request, { binary: true });
    const response = await service.handle({
      method: 'POST',
      path: '/v2/models/doubler/versions/1/infer',
      headers: encoded.headers,
      body: encoded.body,
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    const headerLength = Number(response.headers['inference-header-content-length']);
    const header = JSON.parse(
      new TextDecoder().decode((response.body as Uint8Array).subarray(0, headerLength)),
    );
    expect(header.outputs[0].parameters.binary_data_size).toBe(8);
    const decoded = decodeInferenceResponse(response.body as Uint8Array, { headerLength });
    expect(decoded.model_name).toBe('doubler');
    expect(decoded.id).toBe('bin');
    expect([...(decoded.outputs[0]!.data as Float32Array)]).toEqual([3, -4]);
    // The parts adapters may write instead of the joined body: the same bytes.
    expect(response.bodyParts).toHaveLength(1 + decoded.outputs.length);
    expect(
      Buffer.concat(response.bodyParts!).equals(Buffer.from(response.body as Uint8Array)),
    ).toBe(true);
    expect(response.bodyParts![0]!.byteLength).toBe(headerLength);
  });

  it('answers JSON to a binary request that did not ask for binary outputs', async () => {
    const { service } = await setup();
    const encoded = encodeInferenceRequest(
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([1, 2]) }] },
      { binary: true },
    );
    const response = await service.handle({
      method: 'POST',
      path: '/v2/models/doubler/versions/1/infer',
      headers: encoded.headers,
      body: encoded.body,
    });
    expect(response.headers['content-type']).toBe('application/json');
    // A JSON answer stays a string (adapters write it with the head in one write).
    expect(typeof response.body).toBe('string');
    expect(response.bodyParts).toBeUndefined();
    oip.assert('inference_response', JSON.parse(response.body as string));
  });

  it('answers 400 for a lying Inference-Header-Content-Length', async () => {
    const { service } = await setup();
    const encoded = encodeInferenceRequest(
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array([1, 2]) }] },
      { binary: true },
    );
    const response = await service.handle({
      method: 'POST',
      path: '/v2/models/doubler/infer',
      headers: { ...encoded.headers, 'inference-header-content-length': '99999' },
      body: encoded.body,
    });
    expect(response.status).toBe(400);
  });
});

describe('abort', () => {
  it('aborts the running model call when the request signal aborts (499)', async () => {
    const { service, probe } = await setup();
    const controller = new AbortController();
    const pending = service.request('/v2/models/slow/infer', {
      body: body([1, 2]),
      signal: controller.signal,
    });
    while (probe.slowSignals.length === 0) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    const response = await pending;
    expect(response.status).toBe(499);
    expect(probe.slowSignals[0]!.aborted).toBe(true);
  });

  it('does no work for a request aborted while queued', async () => {
    const { service, probe } = await setup();
    const first = new AbortController();
    const running = service.request('/v2/models/slow/infer', {
      body: body([1, 2]),
      signal: first.signal,
    });
    while (probe.slowSignals.length === 0) await new Promise((r) => setTimeout(r, 2));
    const second = new AbortController();
    const queued = service.request('/v2/models/slow/infer', {
      body: body([1, 2]),
      signal: second.signal,
    });
    second.abort();
    expect((await queued).status).toBe(499);
    first.abort();
    await running;
    expect(probe.calls).toBe(1);
  });

  it('does nothing for a request whose signal is already aborted', async () => {
    const { service, probe } = await setup();
    const response = await service.request('/v2/models/doubler/infer', {
      body: body([1, 2]),
      signal: AbortSignal.abort(),
    });
    expect(response.status).toBe(499);
    expect(probe.calls).toBe(0);
  });
});

describe('handle() on what is not a request', () => {
  it('rejects, never throws: no request object, a method that is no string, a lost `this`', async () => {
    const service = new InferenceService({ repository: new ModelRepository() });
    const { handle } = service;
    const request = { method: 'GET', path: '/v2/health/live', headers: {} };
    const calls = [
      () => service.handle(undefined as never),
      () => service.handle({ method: 5 as never, path: '/v2', headers: {} }),
      () => handle(request),
    ];
    for (const call of calls) {
      let outcome: Promise<unknown> | undefined;
      expect(() => {
        outcome = call();
      }).not.toThrow();
      await expect(outcome).rejects.toBeInstanceOf(TypeError);
    }
  });
});

describe('routing', () => {
  it('answers 404 with an error body for unknown routes', async () => {
    const { service } = await setup();
    for (const path of [
      '/',
      '/v1/models',
      '/v2/models/doubler/explain',
      '/v2/repository/index',
      '/metrics',
    ]) {
      const response = await service.request(path);
      expect(response.status, path).toBe(404);
      expect(response.json()).toMatchObject({ error: expect.any(String) });
    }
  });

  it('answers 405 with an Allow header for a wrong method', async () => {
    const { service } = await setup();
    const get = await service.request('/v2/models/doubler/infer');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const post = await service.request('/v2/health/live', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const del = await service.request('/v2', { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('keeps answering each path by its method, model and version once routes are cached', async () => {
    const { service } = await setup();
    for (let round = 0; round < 2; round++) {
      const infer = await service.request('/v2/models/doubler/infer', { body: body([1, 2]) });
      expect(infer.status).toBe(200);
      const get = await service.request('/v2/models/doubler/infer');
      expect(get.status).toBe(405);
      expect(get.headers.allow).toBe('POST');
      const unknown = await service.request('/v2/models/nope/infer', { body: body([1, 2]) });
      expect(unknown.status).toBe(404);
    }
    // More distinct paths than the cache keeps (it starts over): each still routes.
    for (let index = 0; index < 300; index++) {
      const response = await service.request(`/v2/health/live?n=${index}`);
      expect(response.status).toBe(200);
    }
    const again = await service.request('/v2/models/doubler/infer', { body: body([3, 4]) });
    expect(again.json()).toMatchObject({ model_name: 'doubler' });
  });

  it('answers HEAD like GET without a body', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/health/live', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.body).toBe('');
  });

  it('ignores the query string', async () => {
    const { service } = await setup();
    expect((await service.request('/v2/health/live?probe=1')).status).toBe(200);
  });
});

describe('model repository extension', () => {
  it('is off by default (404)', async () => {
    const { service } = await setup();
    expect((await service.request('/v2/repository/index', { method: 'POST' })).status).toBe(404);
    expect(
      (await service.request('/v2/repository/models/doubler/load', { method: 'POST' })).status,
    ).toBe(404);
  });

  it('lists, unloads and loads models when enabled', async () => {
    const { service } = await setup({ repositoryApi: true });
    const index = await service.request('/v2/repository/index', { method: 'POST' });
    expect(index.status).toBe(200);
    expect(index.json()).toContainEqual({ name: 'doubler', version: '2', state: 'READY' });
    expect(index.json()).toContainEqual({
      name: 'broken',
      state: 'UNAVAILABLE',
      reason: 'Model "broken" failed to load: file model.onnx not found',
    });
    const onlyReady = await service.request('/v2/repository/index', { body: { ready: true } });
    expect((onlyReady.json() as { state: string }[]).every((row) => row.state === 'READY')).toBe(
      true,
    );

    const unload = await service.request('/v2/repository/models/doubler/unload', {
      method: 'POST',
    });
    expect(unload.status).toBe(200);
    expect((await service.request('/v2/models/doubler/ready')).status).toBe(503);
    expect((await service.request('/v2/models/doubler/infer', { body: body([1, 2]) })).status).toBe(
      503,
    );
    const load = await service.request('/v2/repository/models/doubler/load', { method: 'POST' });
    expect(load.status).toBe(200);
    expect(load.json()).toMatchObject({ name: 'doubler', state: 'READY' });
    expect((await service.request('/v2/models/doubler/infer', { body: body([1, 2]) })).status).toBe(
      200,
    );

    const failing = await service.request('/v2/repository/models/broken/load', { method: 'POST' });
    expect(failing.status).toBe(500);
    expect((failing.json() as { error: string }).error).toContain('file model.onnx not found');
    expect(
      (await service.request('/v2/repository/models/nope/load', { method: 'POST' })).status,
    ).toBe(404);
    const extensions = (await service.request('/v2')).json() as { extensions: string[] };
    expect(extensions.extensions).toContain('model_repository');
  });

  it('requires the bearer token when one is set (401 missing or wrong, RFC 6750)', async () => {
    const { service } = await setup({ repositoryApi: { enabled: true, token: 's3cret' } });
    const missing = await service.request('/v2/repository/index', { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="infer"');
    const otherScheme = await service.request('/v2/repository/index', {
      method: 'POST',
      headers: { authorization: 'Basic czNjcmV0' },
    });
    expect(otherScheme.status).toBe(401);
    const wrong = await service.request('/v2/repository/index', {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="infer", error="invalid_token"');
    expect(wrong.json()).toEqual({ error: 'The bearer token is not valid' });
    const right = await service.request('/v2/repository/index', {
      method: 'POST',
      headers: { authorization: 'bearer  s3cret' },
    });
    expect(right.status).toBe(200);
  });

  it('asks the loader for models that are not registered, by name only', async () => {
    const asked: string[] = [];
    const { service } = await setup({
      repositoryApi: {
        loader: (name) => {
          asked.push(name);
          if (name !== 'late') return undefined;
          return defineModel({
            name: 'late',
            inputs: [FP32('x')],
            outputs: [FP32('x')],
            predict: (request) => ({ outputs: request.inputs }),
          });
        },
      },
    });
    const load = await service.request('/v2/repository/models/late/load', { method: 'POST' });
    expect(load.status).toBe(200);
    expect((await service.request('/v2/models/late/infer', { body: body([1, 2]) })).status).toBe(
      200,
    );
    expect(
      (await service.request('/v2/repository/models/other/load', { method: 'POST' })).status,
    ).toBe(404);
    expect(asked).toEqual(['late', 'other']);
  });

  it('a loader that answers after shutdown began adds nothing (503): no model is loaded after the drain', async () => {
    let answer: (() => void) | undefined;
    const { service, repository } = await setup({
      repositoryApi: {
        loader: async (name) => {
          await new Promise<void>((resolve) => (answer = resolve));
          return defineModel({
            name,
            inputs: [FP32('x')],
            outputs: [FP32('x')],
            predict: (request) => ({ outputs: request.inputs }),
          });
        },
      },
    });
    const load = service.request('/v2/repository/models/late/load', { method: 'POST' });
    while (answer === undefined) await new Promise((r) => setTimeout(r, 2));
    const shutdown = service.shutdown({ timeoutMs: 50 });
    answer();
    const response = await load;
    expect(response.status).toBe(503);
    expect(response.json()).toEqual({ error: 'Server is shutting down' });
    await shutdown;
    expect(repository.has('late')).toBe(false);
  });

  it('answers 400 to a malformed JSON body', async () => {
    const { service } = await setup({ repositoryApi: true });
    const response = await service.request('/v2/repository/index', {
      method: 'POST',
      body: '{nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
  });
});

describe('docs, OpenAPI and metrics', () => {
  it('serves a self-contained HTML docs page', async () => {
    const { service } = await setup({}, [
      defineModel({ name: '<img>&"x', inputs: [], outputs: [], predict: () => [] }),
    ]);
    const response = await service.request('/v2/docs');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = response.text();
    expect(html).toContain('<code>doubler</code>');
    expect(html).toContain('/v2/models/{model_name}/infer');
    expect(html).not.toMatch(/(src|href)="https?:/); // no CDN
    expect(html).toContain('&lt;img&gt;&amp;&quot;x');
    expect(html).not.toContain('<img>');
  });

  it('sends a Content-Security-Policy that allows exactly its own inline style and script', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/docs');
    const csp = response.headers['content-security-policy'] as string;
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const html = response.text();
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(styles).toHaveLength(1);
    expect(scripts).toHaveLength(1);
    const directives = Object.fromEntries(
      csp.split('; ').map((directive) => {
        const [name, ...values] = directive.split(' ');
        return [name, values.join(' ')];
      }),
    );
    expect(directives).toEqual({
      'default-src': "'none'",
      'style-src': hash(styles[0]!),
      'script-src': hash(scripts[0]!),
      'connect-src': "'self'",
      'img-src': "'self' data:",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
    // No inline handler or style attribute, which the hashes would not cover.
    expect(html).not.toMatch(/\son[a-z]+=|\sstyle=/);
  });

  it("escapes a model's datatype and shape too (a plain model object's metadata is not checked)", async () => {
    const hostile: ModelV1 = {
      specificationVersion: 'v1',
      name: 'hostile',
      ready: true,
      load: async () => {},
      unload: async () => {},
      metadata: () => ({
        name: 'hostile',
        platform: 'x',
        inputs: [
          {
            name: 'x',
            datatype: '<img src=x onerror=alert(1)>' as never,
            shape: ['<script>alert(2)</script>' as never],
          },
        ],
        outputs: [],
      }),
      predict: async () => ({ outputs: [] }),
    };
    const { service } = await setup({}, [hostile]);
    const html = (await service.request('/v2/docs')).text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert(2)');
  });

  it('links the OpenAPI document and posts its form relative to the page as requested, with or without trailing slashes', async () => {
    const { service } = await setup();
    for (const path of ['/v2/docs', '/v2/docs/', '/v2/docs//?x=1']) {
      const response = await service.request(path);
      expect(response.status, path).toBe(200);
      const link = /href="([^"]*openapi\.json)"/.exec(response.text())![1]!;
      expect(new URL(link, `http://h/ml${path}`).pathname, path).toBe('/ml/v2/docs/openapi.json');
      // The form posts to the model's infer route from any of them.
      const models = /data-models="([^"]*)"/.exec(response.text())![1]!;
      expect(new URL(`${models}m/infer`, `http://h/ml${path}`).pathname, path).toBe(
        '/ml/v2/models/m/infer',
      );
    }
  });

  it('serves an OpenAPI 3 document that parses and lists the enabled routes', async () => {
    const { service } = await setup();
    const response = await service.request('/v2/docs/openapi.json');
    expect(response.status).toBe(200);
    const document = response.json() as {
      openapi: string;
      paths: Record<string, Record<string, { responses: object }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/v2',
        '/v2/docs',
        '/v2/docs/openapi.json',
        '/v2/health/live',
        '/v2/health/ready',
        '/v2/models/{model_name}',
        '/v2/models/{model_name}/infer',
        '/v2/models/{model_name}/ready',
        '/v2/models/{model_name}/versions/{model_version}',
        '/v2/models/{model_name}/versions/{model_version}/infer',
        '/v2/models/{model_name}/versions/{model_version}/ready',
      ].sort(),
    );
    const infer = document.paths['/v2/models/{model_name}/infer']!.post! as {
      responses: object;
      parameters: { name: string; in: string }[];
    };
    expect(infer.responses).toHaveProperty('415');
    // The path parameter and the Content-Encoding header the adapters decode.
    expect(infer.parameters.map(({ name, in: where }) => `${where}:${name}`)).toEqual([
      'path:model_name',
      'header:Content-Encoding',
    ]);
    // Every $ref resolves inside the document.
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)];
    for (const [, name] of refs) expect(document.components.schemas, name).toHaveProperty(name!);
    // Our copies of the OIP schemas accept what the spec's own schemas accept.
    const specSchemas = (
      oip.document as { components: { schemas: Record<string, { required?: string[] }> } }
    ).components.schemas;
    for (const name of ['inference_request', 'inference_response', 'metadata_model_response']) {
      expect((document.components.schemas[name] as { required: string[] }).required).toEqual(
        specSchemas[name]!.required,
      );
    }
  });

  it('lists the repository routes in the OpenAPI document only when enabled', async () => {
    const { service } = await setup({ repositoryApi: true });
    const document = (await service.request('/v2/docs/openapi.json')).json() as { paths: object };
    expect(document.paths).toHaveProperty('/v2/repository/index');
  });

  it('turns docs off with docs: false', async () => {
    const { service } = await setup({ docs: false });
    expect((await service.request('/v2/docs')).status).toBe(404);
  });

  it('serves /metrics and reports each request when metrics are given', async () => {
    const observed: RequestObservation[] = [];
    const metrics: InferMetrics = {
      observeRequest: (o) => observed.push(o),
      observeBatch: () => {},
      setQueueLength: () => {},
      setWorkers: () => {},
      incWorkerRestarts: () => {},
      observeModelLoad: () => {},
      contentType: 'text/plain; version=0.0.4',
      render: async () => 'infer_requests_total 1\n',
    };
    const { service } = await setup({ metrics });
    await service.request('/v2/models/doubler/versions/1/infer', { body: body([1, 2]) });
    const response = await service.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(response.text()).toBe('infer_requests_total 1\n');
    expect(observed[0]).toMatchObject({
      model: 'doubler',
      version: '1',
      route: 'infer',
      status: 200,
    });
    expect(observed[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(observed[1]).toMatchObject({ route: 'metrics', status: 200 });
  });

  it("labels a model and version '_unknown' unless the repository has them, whatever the answer (no series per made-up name)", async () => {
    const metrics = createMetrics();
    const { service } = await setup({ metrics, repositoryApi: { token: 'a-token-of-16-chars!' } });
    for (let index = 0; index < 20; index++) {
      await service.request(`/v2/models/made-up-${index}/infer`, { body: body([1, 2]) });
      await service.request(`/v2/models/made-up-${index}/versions/${index}/ready`);
      await service.request(`/v2/repository/models/made-up-${index}/load`, { method: 'POST' });
      // Answered by an adapter before the service looked the model up: a body too large.
      service.answerFailure(
        { method: 'POST', path: `/v2/models/made-up-${index}/infer`, headers: {} },
        new BodyTooLargeError({ limitBytes: 1024 }),
      );
    }
    // A model it has, at a version it has not: the version only.
    await service.request('/v2/models/doubler/versions/99/ready');
    await service.request('/v2/models/doubler/versions/1/infer', { body: body([1, 2]) });
    const text = await metrics.render();
    const series = text.split('\n').filter((line) => line.startsWith('infer_requests_total{'));
    expect(series.some((line) => line.includes('made-up'))).toBe(false);
    expect(series).toContain(
      'infer_requests_total{model="_unknown",version="",route="infer",status="404"} 20',
    );
    expect(series).toContain(
      'infer_requests_total{model="_unknown",version="_unknown",route="model_ready",status="404"} 20',
    );
    expect(series).toContain(
      'infer_requests_total{model="_unknown",version="",route="repository_load",status="401"} 20',
    );
    expect(series).toContain(
      'infer_requests_total{model="_unknown",version="",route="infer",status="413"} 20',
    );
    expect(series).toContain(
      'infer_requests_total{model="doubler",version="_unknown",route="model_ready",status="404"} 1',
    );
    expect(series).toContain(
      'infer_requests_total{model="doubler",version="1",route="infer",status="200"} 1',
    );
  });
});

describe('logging and shutdown', () => {
  it('writes one debug line per request', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger: Logger = {
      debug: (object, message) => {
        if (message === 'request') lines.push(object as Record<string, unknown>);
      },
      info: () => {},
      warn: () => {},
      error: () => {},
    };
    const { service } = await setup({ logger });
    await service.request('/v2/health/live');
    await service.request('/v2/models/nope');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      code: 'INFER_ERR_MODEL_NOT_FOUND',
      method: 'GET',
      path: '/v2/models/nope',
      status: 404,
      route: 'model_metadata',
    });
    expect(lines[0]!.requestId).toBeDefined();
  });

  it('shutdown() makes ready false, refuses new inference (503), and waits for in-flight ones', async () => {
    const { service, probe, repository } = await setup();
    await repository.remove('broken');
    const controller = new AbortController();
    const inFlight = service.request('/v2/models/slow/infer', {
      body: body([1, 2]),
      signal: controller.signal,
    });
    while (probe.slowSignals.length === 0) await new Promise((r) => setTimeout(r, 2));
    let done = false;
    const shutdown = service.shutdown().then(() => {
      done = true;
    });
    expect(service.draining).toBe(true);
    expect((await service.request('/v2/health/ready')).status).toBe(503);
    expect((await service.request('/v2/health/live')).status).toBe(200);
    const refused = await service.request('/v2/models/doubler/infer', { body: body([1, 2]) });
    expect(refused.status).toBe(503);
    expect(refused.json()).toEqual({ error: 'Server is shutting down' });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    controller.abort();
    await inFlight;
    await shutdown;
    expect(repository.status('doubler').state).toBe('UNAVAILABLE');
  });

  it('validates its options', () => {
    const repository = new ModelRepository();
    expect(() => new InferenceService({} as never)).toThrow(
      'options.repository must be a ModelRepository',
    );
    expect(() => new InferenceService({ repository, repositoryApi: 'yes' as never })).toThrow(
      'options.repositoryApi must be a boolean or an object',
    );
    expect(() => new InferenceService({ repository, repositoryApi: { token: '' } })).toThrow(
      'options.repositoryApi.token must be a non-empty string',
    );
    expect(() => new InferenceService({ repository, metrics: {} as never })).toThrow(
      'options.metrics must be an InferMetrics',
    );
    expect(() => new InferenceService({ repository, docs: 1 as never })).toThrow(
      'options.docs must be a boolean',
    );
    expect(() => new InferenceService({ repository, metricsRoute: 'no' as never })).toThrow(
      'options.metricsRoute must be a boolean',
    );
  });
});
