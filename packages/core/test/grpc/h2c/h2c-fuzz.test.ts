import { type GrpcInferServer, serveGrpc } from '@infer/core/grpc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModel } from '../../../src/define-model';
import { FLAG, FRAME, frame } from '../../../src/grpc/h2c/frames';
import { encodeHeaders } from '../../../src/grpc/h2c/hpack';
import { InferenceService } from '../../../src/inference-service';
import { ModelRepository } from '../../../src/model-repository';
import { call, createClient, responseTensors } from '../grpc-client';
import { frameClient, grpcMessage, grpcRequestHeaders } from './frame-client';

let service: InferenceService;
let server: GrpcInferServer;
beforeAll(async () => {
  const repository = new ModelRepository();
  repository.add(
    defineModel({
      name: 'echo',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      predict: (request) => request.inputs,
    }),
  );
  await repository.loadAll();
  service = new InferenceService({ repository });
  server = await serveGrpc(service, { port: 0, shutdownGraceMs: 500 });
});
afterAll(async () => {
  await server?.close();
  await service?.shutdown({ timeoutMs: 500 });
});

const headerBlock = encodeHeaders(grpcRequestHeaders('/inference.GRPCInferenceService/ModelInfer'));

/** A frame that is sometimes well formed, sometimes not. */
const anyFrame = fc.record({
  type: fc.oneof(fc.constantFrom(0, 1, 3, 4, 6, 7, 8, 9), fc.integer({ min: 0, max: 255 })),
  flags: fc.oneof(
    fc.constantFrom(0, FLAG.END_STREAM, FLAG.END_HEADERS, 5, FLAG.PADDED),
    fc.integer({ min: 0, max: 255 }),
  ),
  streamId: fc.constantFrom(0, 1, 2, 3, 5, 7, 2 ** 31 - 1),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.constant(headerBlock),
    fc.constant(grpcMessage(new Uint8Array([10, 4, 101, 99, 104, 111]))),
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
    fc.uint8Array({ minLength: 8, maxLength: 8 }),
  ),
});

describe('random HTTP/2 frames at the h2c gRPC server', () => {
  it('2000 connections of random frames: no crash, and a valid call right after succeeds', async () => {
    const cases = fc.sample(fc.array(anyFrame, { minLength: 1, maxLength: 8 }), {
      seed: 20261127,
      numRuns: 2000,
    });
    let closedByServer = 0;
    const goawayCodes = new Map<number, number>();
    const port = Number(server.address.split(':').at(-1));
    for (let start = 0; start < cases.length; start += 50) {
      await Promise.all(
        cases.slice(start, start + 50).map(async (frames) => {
          const client = await frameClient(port);
          client.send(...frames.map((f) => frame(f.type, f.flags, f.streamId, f.payload)));
          // A PING at the end: answered if the connection survived what came before.
          client.send(frame(FRAME.PING, 0, 0, Buffer.from('syncsync')));
          await client
            .waitFor((f) => f.type === FRAME.PING && f.flags === FLAG.ACK, 5000)
            .catch(() => client.waitClosed(5000).then(() => closedByServer++));
          for (const f of client.frames) {
            if (f.type !== FRAME.GOAWAY || f.payload.length < 8) continue;
            const code = f.payload.readUInt32BE(4);
            goawayCodes.set(code, (goawayCodes.get(code) ?? 0) + 1);
          }
          client.close();
        }),
      );
    }
    // Some cases are fatal to their connection, most are not; either way the server lives,
    // and no case is a bug of the server's own (INTERNAL_ERROR, code 2).
    expect(goawayCodes.get(2)).toBeUndefined();
    expect(closedByServer).toBeGreaterThan(100);
    expect(closedByServer).toBeLessThan(cases.length);
    const grpcClient = createClient(server.address);
    try {
      const answer = await call(grpcClient, 'ModelInfer', {
        model_name: 'echo',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1, 2] } }],
      });
      expect(responseTensors(answer)[0]?.data).toEqual(new Float32Array([1, 2]));
    } finally {
      grpcClient.close();
    }
  });
});
