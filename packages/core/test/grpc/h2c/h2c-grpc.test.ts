import { connect } from 'node:http2';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  GRPC_LOADER_OPTIONS,
  type GrpcInferServer,
  inferenceProtoPath,
  serveGrpc,
} from '@infer/core/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModel } from '../../../src/define-model';
import { FLAG, FRAME, frame, rstStreamFrame, SETTING } from '../../../src/grpc/h2c/frames';
import { modelInferResponseParts } from '../../../src/grpc/model-infer-parts';
import { InferenceService } from '../../../src/inference-service';
import { ModelRepository } from '../../../src/model-repository';
import { call, createClient, rawBytes, responseTensors, statusOf } from '../grpc-client';
import {
  dataFrame,
  frameClient,
  grpcMessage,
  grpcRequestHeaders,
  headersFrame,
} from './frame-client';

const INFER = '/inference.GRPCInferenceService/ModelInfer';
const LIVE = '/inference.GRPCInferenceService/ServerLive';

const identity = defineModel({
  name: 'identity',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, -1] }],
  serving: { batching: false },
  predict: (request) => [{ ...request.inputs[0]!, name: 'y' }],
});

const gate: Array<() => void> = [];
const gated = defineModel({
  name: 'gated',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
  outputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
  serving: { batching: false, warmup: false },
  predict: (request) => new Promise((resolve) => gate.push(() => resolve(request.inputs))),
});

const definition = protoLoader.loadSync(inferenceProtoPath(), GRPC_LOADER_OPTIONS);
const inferMethod = (definition['inference.GRPCInferenceService'] as grpc.ServiceDefinition)
  .ModelInfer as grpc.MethodDefinition<object, object>;
const serializeResponse = inferMethod.responseSerialize as (value: unknown) => Buffer;
const serializeRequest = inferMethod.requestSerialize as (value: unknown) => Buffer;

let service: InferenceService;
let server: GrpcInferServer;
beforeAll(async () => {
  const repository = new ModelRepository();
  repository.add(identity);
  repository.add(gated);
  await repository.loadAll();
  service = new InferenceService({ repository });
  server = await serveGrpc(service, { port: 0, shutdownGraceMs: 1000, maxMessageBytes: 32 << 20 });
});
afterAll(async () => {
  for (const release of gate) release();
  await server?.close();
  await service?.shutdown({ timeoutMs: 1000 });
});

/** One HTTP/2 request with Node's client: status, headers and trailers, body. */
function h2Request(
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  trailers: Record<string, unknown>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${server.address}`);
    session.on('error', reject);
    const request = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const chunks: Buffer[] = [];
    let responseHeaders: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    request.on('response', (received) => {
      responseHeaders = received;
    });
    request.on('trailers', (received) => {
      trailers = received;
    });
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', reject);
    request.on('close', () => {
      session.close();
      resolve({
        status: Number(responseHeaders[':status']),
        headers: responseHeaders,
        trailers,
        body: Buffer.concat(chunks),
      });
    });
    // Node's client sends a GET without a body.
    if (headers[':method'] === 'GET') request.end();
    else request.end(body);
  });
}

const liveRequest = grpcMessage(new Uint8Array(0));

/** One ModelInfer through a grpc-js generic client made with `channelOptions`. */
async function inferThrough(channelOptions: grpc.ChannelOptions, request: object): Promise<object> {
  const client = new (grpc.makeGenericClientConstructor({}, ''))(
    server.address,
    grpc.credentials.createInsecure(),
    channelOptions,
  );
  try {
    return await new Promise<object>((resolve, reject) =>
      client.makeUnaryRequest(
        INFER,
        inferMethod.requestSerialize,
        inferMethod.responseDeserialize,
        request,
        (error, value) => (error ? reject(error) : resolve(value as object)),
      ),
    );
  } finally {
    client.close();
  }
}

describe('the h2c gRPC server', () => {
  it('is what serveGrpc uses by default; TLS credentials and grpc-js options select grpc-js', async () => {
    expect(server.transport).toBe('h2c');
    await expect(
      serveGrpc(service, {
        port: 0,
        transport: 'h2c',
        serverOptions: { 'grpc.keepalive_time_ms': 1000 },
      }),
    ).rejects.toThrow(
      "'h2c' is plaintext @infer HTTP/2: credentials (TLS) and serverOptions need 'grpc-js'",
    );
    await expect(serveGrpc(service, { port: 0, transport: 'h3' as 'h2c' })).rejects.toThrow(
      "options.transport must be 'h2c' or 'grpc-js'",
    );
    const withOptions = await serveGrpc(service, {
      port: 0,
      serverOptions: { 'grpc.keepalive_time_ms': 60_000 },
    });
    expect(withOptions.transport).toBe('grpc-js');
    await withOptions.close();
  });

  it('answers an unknown method UNIMPLEMENTED, a GET 405 and a non-gRPC body 415', async () => {
    const unknown = await h2Request('/inference.GRPCInferenceService/Nope', liveRequest);
    expect(unknown.status).toBe(200);
    expect(unknown.headers['grpc-status']).toBe('12');
    expect(unknown.headers['grpc-message']).toContain('does not implement the method');
    expect((await h2Request(LIVE, liveRequest, { ':method': 'GET' })).status).toBe(405);
    expect(
      (await h2Request(LIVE, liveRequest, { 'content-type': 'application/json' })).status,
    ).toBe(415);
  });

  it('cuts the grpc-message that echoes a long unknown method to 2 KiB', async () => {
    const path = `/inference.GRPCInferenceService/${'N'.repeat(40_000)}`;
    const unknown = await h2Request(path, liveRequest);
    expect(unknown.headers['grpc-status']).toBe('12');
    const message = String(unknown.headers['grpc-message']);
    expect(message.startsWith('The server does not implement the method /inference')).toBe(true);
    expect(message.endsWith('NNN...')).toBe(true);
    expect(message.length).toBeLessThanOrEqual(2048);
  });

  it('a unary call with no message, two messages, or a cut message is refused', async () => {
    const none = await h2Request(LIVE, Buffer.alloc(0));
    expect(none.headers['grpc-status']).toBe('12');
    expect(none.headers['grpc-message']).toContain('Received no request message');
    const two = await h2Request(LIVE, Buffer.concat([liveRequest, liveRequest]));
    expect(two.headers['grpc-status'] ?? two.trailers['grpc-status']).toBe('12');
    const cut = await h2Request(LIVE, grpcMessage(Buffer.from([8, 1])).subarray(0, 6));
    expect(cut.headers['grpc-status']).toBe('13');
    expect(cut.headers['grpc-message']).toBe('Received a truncated message');
  });

  it('reads gzip and deflate messages, and refuses an encoding it does not know', async () => {
    const compressed = gzipSync(Buffer.alloc(0));
    const framed = grpcMessage(compressed);
    framed[0] = 1;
    const gzip = await h2Request(LIVE, framed, { 'grpc-encoding': 'gzip' });
    expect(gzip.trailers['grpc-status']).toBe('0');
    const snappy = await h2Request(LIVE, framed, { 'grpc-encoding': 'snappy' });
    expect(snappy.headers['grpc-status']).toBe('12');
    expect(snappy.headers['grpc-message']).toBe(
      'Received message compressed with unsupported encoding "snappy"',
    );
    // A grpc-js client that compresses everything with gzip.
    const answer = await inferThrough(
      { 'grpc.default_compression_algorithm': 2 },
      {
        model_name: 'identity',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3] }],
        raw_input_contents: [rawBytes(new Float32Array([1, 2, 3]))],
      },
    );
    expect(Array.from(responseTensors(answer as never)[0]!.data as Float32Array)).toEqual([
      1, 2, 3,
    ]);
  });

  it('inflates a stream of gzip messages in order; a bad one fails the call, not the process', async () => {
    const REFLECT = '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo';
    const compressed = (bytes: Buffer) => {
      const framed = grpcMessage(bytes);
      framed[0] = 1;
      return framed;
    };
    // ServerReflectionRequest { list_services: '' }, gzipped.
    const listServices = compressed(gzipSync(Buffer.from([0x3a, 0x00])));
    const good = await h2Request(
      REFLECT,
      Buffer.concat([listServices, listServices, listServices]),
      {
        'grpc-encoding': 'gzip',
      },
    );
    const messagesIn = (body: Buffer) => {
      let count = 0;
      for (let offset = 0; offset < body.length; offset += 5 + body.readUInt32BE(offset + 1))
        count++;
      return count;
    };
    expect(good.trailers['grpc-status']).toBe('0');
    expect(messagesIn(good.body)).toBe(3);
    const bad = await h2Request(
      REFLECT,
      Buffer.concat([listServices, compressed(Buffer.from('not gzip at all')), listServices]),
      { 'grpc-encoding': 'gzip' },
    );
    expect(bad.trailers['grpc-status'] ?? bad.headers['grpc-status']).toBe('13');
    expect(messagesIn(bad.body)).toBe(1);
    // Bombs: each inflates past maxMessageBytes (32 MiB); the first fails the call, the rest
    // are never inflated.
    const bomb = compressed(gzipSync(Buffer.alloc(40 << 20)));
    const bombs = await h2Request(REFLECT, Buffer.concat(Array.from({ length: 20 }, () => bomb)), {
      'grpc-encoding': 'gzip',
    });
    expect(bombs.trailers['grpc-status'] ?? bombs.headers['grpc-status']).toBe('8');
  });

  it('inflates with maxMessageBytes beyond what zlib takes (Number.MAX_SAFE_INTEGER)', async () => {
    // zlib refuses a maxOutputLength over buffer.constants.MAX_LENGTH (4 GiB on Node 20) by
    // throwing: the limit is clamped, and a throw frees the inflation slot.
    const unlimited = await serveGrpc(service, {
      port: 0,
      shutdownGraceMs: 1000,
      maxMessageBytes: Number.MAX_SAFE_INTEGER,
    });
    const client = new (grpc.makeGenericClientConstructor({}, ''))(
      unlimited.address,
      grpc.credentials.createInsecure(),
      { 'grpc.default_compression_algorithm': 2 },
    );
    try {
      const request = {
        model_name: 'identity',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }],
        raw_input_contents: [rawBytes(new Float32Array([1, 2]))],
      };
      // More calls than the server inflates at once (2): a slot lost would hang the third.
      for (let i = 0; i < 4; i++) {
        const answer = await new Promise<object>((resolve, reject) =>
          client.makeUnaryRequest(
            INFER,
            inferMethod.requestSerialize,
            inferMethod.responseDeserialize,
            request,
            { deadline: Date.now() + 5000 },
            (error, value) => (error ? reject(error) : resolve(value as object)),
          ),
        );
        expect(Array.from(responseTensors(answer as never)[0]!.data as Float32Array)).toEqual([
          1, 2,
        ]);
      }
    } finally {
      client.close();
      await unlimited.close();
    }
  });

  it('a compressed unary call reset before its handler starts never runs it', async () => {
    const port = Number(server.address.split(':').at(-1));
    const c = await frameClient(port);
    try {
      const started = gate.length;
      const request = grpcMessage(
        gzipSync(
          serializeRequest({
            model_name: 'gated',
            inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }],
          }),
        ),
      );
      request[0] = 1;
      c.send(
        headersFrame(1, [...grpcRequestHeaders(INFER), ['grpc-encoding', 'gzip']]),
        dataFrame(1, request, true),
        rstStreamFrame(1, 8),
        frame(FRAME.PING, 0, 0, Buffer.alloc(8)),
      );
      await c.waitFor((f) => f.type === FRAME.PING);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(gate.length).toBe(started);
    } finally {
      c.close();
    }
  });

  it('a deadline resets an answer that the client window holds back', async () => {
    const port = Number(server.address.split(':').at(-1));
    const c = await frameClient(port, { settings: [[SETTING.INITIAL_WINDOW_SIZE, 0]] });
    try {
      c.send(
        headersFrame(1, [...grpcRequestHeaders(LIVE), ['grpc-timeout', '200m']]),
        dataFrame(1, liveRequest, true),
      );
      const reset = await c.waitFor((f) => f.type === FRAME.RST_STREAM && f.streamId === 1, 3000);
      expect(reset.payload.readUInt32BE(0)).toBe(8);
      expect(c.frames.some((f) => f.type === FRAME.DATA)).toBe(false);
    } finally {
      c.close();
    }
  });

  it('a malformed grpc-timeout is INTERNAL; one beyond a timer (600H) is no deadline', async () => {
    const bad = await h2Request(LIVE, liveRequest, { 'grpc-timeout': '5 seconds' });
    expect(bad.headers['grpc-status']).toBe('13');
    const far = await h2Request(LIVE, liveRequest, { 'grpc-timeout': '600H' });
    expect(far.trailers['grpc-status']).toBe('0');
  });

  it('the server ends a call at its grpc-timeout (DEADLINE_EXCEEDED), and the model is aborted', async () => {
    const started = Date.now();
    const request = grpcMessage(
      serializeRequest({
        model_name: 'gated',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }],
      }),
    );
    // A raw client: no client-side deadline, only the header.
    const answer = await h2Request(INFER, request, { 'grpc-timeout': '150m' });
    expect(answer.headers['grpc-status'] ?? answer.trailers['grpc-status']).toBe('4');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    gate.shift()?.();
  });

  it('a unary answer is one DATA frame (prefix and message together)', async () => {
    const port = Number(server.address.split(':').at(-1));
    const c = await frameClient(port);
    try {
      c.send(headersFrame(1, grpcRequestHeaders(LIVE)), dataFrame(1, liveRequest, true));
      await c.waitFor((f) => f.type === FRAME.HEADERS && (f.flags & FLAG.END_STREAM) !== 0);
      const data = c.frames.filter((f) => f.type === FRAME.DATA && f.streamId === 1);
      expect(data.length).toBe(1);
      expect(data[0]?.payload.readUInt32BE(1)).toBe(data[0]!.payload.length - 5);
    } finally {
      c.close();
    }
  });

  it('percent-encodes grpc-message', async () => {
    const error = await statusOf(
      call(createClient(server.address), 'ModelInfer', { model_name: 'modèle-100%' }),
    );
    expect(error.code).toBe(5);
    expect(error.details).toContain('modèle-100%');
  });

  it('carries a 16 MiB tensor both ways to a client with 64 KiB windows, unchanged', async () => {
    const data = Float32Array.from({ length: 4 << 20 }, (_, i) => i);
    const answer = await inferThrough(
      { 'grpc.max_receive_message_length': 32 << 20, 'grpc.max_send_message_length': 32 << 20 },
      {
        model_name: 'identity',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, data.length] }],
        raw_input_contents: [rawBytes(data)],
      },
    );
    const [tensor] = responseTensors(answer as never);
    expect(tensor?.shape).toEqual([1, data.length]);
    const out = tensor!.data as Float32Array;
    expect(Buffer.from(out.buffer, out.byteOffset, data.byteLength).equals(rawBytes(data))).toBe(
      true,
    );
  });

  it('close() lets a call in flight finish, then closes', async () => {
    const other = await serveGrpc(service, { port: 0, shutdownGraceMs: 5000 });
    const client = createClient(other.address);
    try {
      const pending = call(client, 'ModelInfer', {
        model_name: 'gated',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1, 2] } }],
      });
      await expect.poll(() => gate.length).toBe(1);
      let closed = false;
      const closing = other.close().then(() => {
        closed = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closed).toBe(false);
      gate.shift()?.();
      const answer = await pending;
      expect(responseTensors(answer)[0]?.data).toEqual(new Float32Array([1, 2]));
      await closing;
      expect(closed).toBe(true);
    } finally {
      client.close();
    }
  });

  it('close() ends connections that never close their side', async () => {
    const other = await serveGrpc(service, { port: 0, shutdownGraceMs: 100 });
    const port = Number(other.address.split(':').at(-1));
    // One idle, one with a call it never finishes sending; neither reads nor closes.
    const idle = await frameClient(port);
    const stuck = await frameClient(port);
    stuck.send(headersFrame(1, grpcRequestHeaders(INFER)));
    idle.socket.pause();
    stuck.socket.pause();
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(3000);
    idle.close();
    stuck.close();
  });

  it('close() cuts calls still running after the grace period', async () => {
    const other = await serveGrpc(service, { port: 0, shutdownGraceMs: 100 });
    const client = createClient(other.address);
    try {
      const pending = statusOf(
        call(client, 'ModelInfer', {
          model_name: 'gated',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } }],
        }),
      );
      await expect.poll(() => gate.length).toBe(1);
      await other.close();
      expect((await pending).code).toBe(14);
    } finally {
      gate.shift()?.();
      client.close();
    }
  });
});

describe('ModelInferResponse in parts', () => {
  it('gives the bytes protobufjs gives for the whole message', () => {
    const response = {
      model_name: 'm',
      model_version: '2',
      id: 'x',
      outputs: [
        { name: 'a', datatype: 'FP32', shape: [2] },
        { name: 'b', datatype: 'UINT8', shape: [200] },
      ],
      parameters: { p: { string_param: 'v' } },
      raw_output_contents: [rawBytes(new Float32Array([1, 2])), Buffer.alloc(200, 7)],
    };
    const parts = modelInferResponseParts(serializeResponse)(response);
    expect(parts.length).toBe(5);
    expect(Buffer.concat(parts).equals(inferMethod.responseSerialize(response))).toBe(true);
    const typed = { ...response, raw_output_contents: [] };
    expect(Buffer.concat(modelInferResponseParts(serializeResponse)(typed))).toEqual(
      inferMethod.responseSerialize(typed),
    );
  });
});
