import type { Tensor } from '@infer/codecs';
import { serveGrpc } from '@infer/core/grpc';
import { afterEach, describe, expect, it } from 'vitest';
import { defineModel } from '../src/define-model';
import { InferenceService } from '../src/inference-service';
import { ModelRepository } from '../src/model-repository';
import { call, createClient, statusOf } from './grpc/grpc-client';

/** Holds every call until its signal aborts; one at a time, queue of one. */
function heldModel(started: AbortSignal[]) {
  return defineModel({
    name: 'held',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    serving: { batching: false, maxQueueSize: 1 },
    predict: (request, { signal }) =>
      new Promise<Tensor[]>((resolve) => {
        started.push(signal!);
        signal?.addEventListener('abort', () => resolve(request.inputs));
      }),
  });
}

const services: InferenceService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.shutdown({ timeoutMs: 1000 })));
});

const valid = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] };
/** 8 MiB that would take the codec a while to reject, and is a 400 when it gets there. */
const hugeMalformed = `{"inputs": [${'1,'.repeat(4 * 1024 * 1024)}`;

async function fullService() {
  const started: AbortSignal[] = [];
  const repository = new ModelRepository().add(heldModel(started));
  await repository.loadAll();
  const service = new InferenceService({ repository });
  services.push(service);
  const controller = new AbortController();
  const pending = [
    service.request('/v2/models/held/infer', { body: valid, signal: controller.signal }),
  ];
  while (started.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  pending.push(
    service.request('/v2/models/held/infer', { body: valid, signal: controller.signal }),
  );
  const release = async () => {
    controller.abort();
    await Promise.all(pending);
  };
  return { service, release };
}

describe('load shedding: a full queue refuses before the body is decoded', () => {
  it('answers a huge malformed body 503 + Retry-After (not 400) while the queue is full', async () => {
    const { service, release } = await fullService();
    try {
      const refused = await service.request('/v2/models/held/infer', { body: hugeMalformed });
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect((refused.json() as { error: string }).error).toMatch(/queue full/);
      // Neither is the Content-Type looked at: shedding comes first.
      const wrongType = await service.request('/v2/models/held/infer', {
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      });
      expect(wrongType.status).toBe(503);
    } finally {
      await release();
    }
    // With room again, the same body is decoded and refused as malformed.
    const malformed = await service.request('/v2/models/held/infer', { body: hugeMalformed });
    expect(malformed.status).toBe(400);
  });

  it('still answers 404 for an unknown model before shedding', async () => {
    const { service, release } = await fullService();
    try {
      expect((await service.request('/v2/models/nope/infer', { body: valid })).status).toBe(404);
    } finally {
      await release();
    }
  });

  it('sheds gRPC ModelInfer the same way: UNAVAILABLE before the contents are decoded', async () => {
    const { service, release } = await fullService();
    const server = await serveGrpc(service, { port: 0, shutdownGraceMs: 1000 });
    const client = createClient(`127.0.0.1:${server.port}`);
    // Raw contents of the wrong length: INVALID_ARGUMENT once decoded.
    const malformed = {
      model_name: 'held',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [4] }],
      raw_input_contents: [Buffer.alloc(3)],
    };
    try {
      const refused = await statusOf(call(client, 'ModelInfer', malformed));
      expect(refused.code).toBe(14); // UNAVAILABLE
      expect(refused.metadata.get('retry-after')[0]).toMatch(/^\d+$/);
    } finally {
      await release();
    }
    try {
      expect((await statusOf(call(client, 'ModelInfer', malformed))).code).toBe(3);
    } finally {
      client.close();
      await server.close();
    }
  });
});
