/** Models and a running gRPC server over a real InferenceService, for the gRPC tests. */
import { DATATYPES, type Datatype, type Tensor } from '@infer/codecs';
import { type GrpcInferServer, serveGrpc } from '@infer/core/grpc';
import { defineModel } from '../../src/define-model';
import { InferenceService } from '../../src/inference-service';
import { createMetrics } from '../../src/metrics/create-metrics';
import type { InferMetrics } from '../../src/metrics/infer-metrics';
import { ModelRepository } from '../../src/model-repository';
import type { ModelV1 } from '../../src/spec';
import { type Client, createClient } from './grpc-client';

/** What the test models saw. */
export interface Probe {
  /** Calls of `slow` that started running. */
  slowCalls: number;
  /** Signals `slow` was given, in call order. */
  slowSignals: AbortSignal[];
  /** Resolves `slow`'s running call (otherwise it waits up to 5 s or for its signal). */
  release: (() => void)[];
}

const FP32 = (name: string, shape = [-1, 2]) => ({ name, datatype: 'FP32' as const, shape });

/** `identity_<datatype>`: y = x for each datatype (shape [-1]). */
export function identityModels(): ModelV1[] {
  return DATATYPES.map((datatype: Datatype) =>
    defineModel({
      name: `identity_${datatype.toLowerCase()}`,
      inputs: [{ name: 'x', datatype, shape: [-1] }],
      outputs: [{ name: 'y', datatype, shape: [-1] }],
      serving: { batching: false },
      predict: (request): Tensor[] => [{ ...request.input('x').tensor, name: 'y' }],
    }),
  );
}

/**
 * `doubler` (y = 2x, z = x + 1; echoes request parameters), `slow` (waits for release or its
 * signal; one at a time), `failing` (throws a secret), `broken` (fails to load).
 */
export function testModels(probe: Probe): ModelV1[] {
  return [
    defineModel({
      name: 'doubler',
      version: '1',
      inputs: [FP32('x')],
      outputs: [FP32('y'), FP32('z')],
      parameters: { author: 'tests', layers: 2 },
      predict: (request) => {
        const x = request.input('x').typed('FP32');
        const shape = request.input('x').shape;
        return {
          outputs: [
            { name: 'y', datatype: 'FP32', shape, data: x.map((v) => v * 2) },
            { name: 'z', datatype: 'FP32', shape, data: x.map((v) => v + 1) },
          ],
          ...(request.parameters === undefined ? {} : { parameters: request.parameters }),
        };
      },
    }),
    defineModel({
      name: 'slow',
      inputs: [FP32('x')],
      outputs: [FP32('x')],
      serving: { batching: false, warmup: false },
      predict: (request, { signal }) =>
        new Promise<Tensor[]>((resolve) => {
          probe.slowCalls++;
          probe.slowSignals.push(signal!);
          const done = () => {
            clearTimeout(timer);
            resolve(request.inputs);
          };
          const timer = setTimeout(done, 5_000);
          probe.release.push(done);
          signal?.addEventListener('abort', done);
        }),
    }),
    defineModel({
      name: 'failing',
      inputs: [FP32('x')],
      outputs: [FP32('x')],
      serving: { warmup: false },
      predict: () => {
        throw new Error('SECRET /srv/weights corrupt');
      },
    }),
    defineModel({
      name: 'broken',
      inputs: [FP32('x')],
      outputs: [FP32('x')],
      load: () => {
        throw new Error('file model.onnx not found');
      },
      predict: () => [],
    }),
  ];
}

/** A running fixture: service, gRPC server on 127.0.0.1:0, client. */
export interface GrpcFixture {
  service: InferenceService;
  repository: ModelRepository;
  server: GrpcInferServer;
  client: Client;
  probe: Probe;
  metrics: InferMetrics;
  close(): Promise<void>;
}

/** Starts the models behind a service and a gRPC server on a free port. */
export async function startGrpcFixture(extra: ModelV1[] = []): Promise<GrpcFixture> {
  const probe: Probe = { slowCalls: 0, slowSignals: [], release: [] };
  const repository = new ModelRepository();
  for (const model of [...testModels(probe), ...identityModels(), ...extra]) repository.add(model);
  await repository.loadAll();
  const metrics = createMetrics();
  const service = new InferenceService({ repository, metrics });
  // The conformance suites run on the h2c server (the default); grpc-js-transport.test.ts
  // runs them again on grpc-js (the TLS path) by setting this variable.
  const transport = process.env.INFER_TEST_GRPC_TRANSPORT === 'grpc-js' ? 'grpc-js' : 'h2c';
  const server = await serveGrpc(service, { port: 0, shutdownGraceMs: 1000, transport });
  if (server.transport !== transport) throw new Error(`expected the ${transport} transport`);
  const client = createClient(server.address);
  return {
    service,
    repository,
    server,
    client,
    probe,
    metrics,
    async close() {
      client.close();
      for (const release of probe.release) release();
      await server.close();
      await service.shutdown({ timeoutMs: 1000 });
    },
  };
}
