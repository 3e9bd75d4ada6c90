import { fileURLToPath } from 'node:url';
import { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModel } from '../../src/define-model';
import { FRAME, H2_ERROR, SETTING } from '../../src/grpc/h2c/frames';
import { type InferServer, serve } from '../../src/serve';
import { serveFromSettings } from '../../src/settings/serve-from-settings';
import { call, createClient, plain, rawBytes, responseTensors, statusOf } from './grpc-client';
import {
  dataFrame,
  frameClient,
  grpcMessage,
  grpcRequestHeaders,
  headersFrame,
} from './h2c/frame-client';

const MOBILENET = fileURLToPath(
  new URL('../../../../models/mobilenet/model.onnx', import.meta.url),
);

const doubler = () =>
  defineModel({
    name: 'doubler',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
    predict: (request) => {
      const x = request.input('x');
      return [
        { name: 'y', datatype: 'FP32', shape: x.shape, data: x.typed('FP32').map((v) => v * 2) },
      ];
    },
  });

describe('serve({ grpc })', () => {
  let server: InferServer;
  beforeAll(async () => {
    server = await serve({
      models: [doubler(), new OnnxModel({ name: 'mobilenet', path: MOBILENET, intraOpThreads: 1 })],
      port: 0,
      grpc: { port: 0 },
      shutdownGraceMs: 1000,
    });
  }, 60_000);
  afterAll(() => server?.close());

  it('serves gRPC beside REST on the same service', async () => {
    expect(server.grpc?.port).toBeGreaterThan(0);
    const client = createClient(server.grpc!.address);
    try {
      const answer = await call(client, 'ModelInfer', {
        model_name: 'doubler',
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } },
        ],
      });
      expect(responseTensors(answer).map(plain)).toEqual([
        { name: 'y', datatype: 'FP32', shape: [1, 2], data: [2, 4] },
      ]);
      const rest = await fetch(`${server.url}/v2/models/doubler/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
        }),
      });
      expect(((await rest.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([
        2, 4,
      ]);
    } finally {
      client.close();
    }
  });

  it('runs MobileNet (ONNX) on a raw FP32 [1,3,224,224] input: FP32 [1,1000] out', async () => {
    const client = createClient(server.grpc!.address);
    try {
      const answer = await call(client, 'ModelInfer', {
        model_name: 'mobilenet',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224] }],
        raw_input_contents: [rawBytes(new Float32Array(3 * 224 * 224))],
      });
      expect(answer.outputs[0]).toMatchObject({
        name: 'output',
        datatype: 'FP32',
        shape: ['1', '1000'],
      });
      expect(answer.raw_output_contents[0]?.byteLength).toBe(1000 * 4);
    } finally {
      client.close();
    }
  });
});

describe('serve() gRPC options and shutdown', () => {
  it('rejects a bad grpc port with a message naming the option', async () => {
    await expect(serve({ port: 0, grpc: { port: 70_000 } })).rejects.toThrow(
      'options.grpc.port must be an integer from 0 to 65535',
    );
    await expect(serve({ port: 0, grpc: { port: 0, maxMessageBytes: -1 } })).rejects.toThrow(
      'options.grpc.maxMessageBytes must be a positive integer (bytes)',
    );
  });

  it('keepalive: checked, and a client that answers the PINGs keeps its connection', async () => {
    await expect(serve({ port: 0, grpc: { port: 0, keepalive: { timeMs: 0 } } })).rejects.toThrow(
      'options.grpc.keepalive.timeMs must be an integer from 1 to 2147483647 (ms)',
    );
    for (const transport of ['h2c', 'grpc-js'] as const) {
      const server = await serve({
        models: [doubler()],
        port: 0,
        grpc: { port: 0, transport, keepalive: { timeMs: 40, timeoutMs: 200 } },
      });
      const client = createClient(server.grpc!.address);
      try {
        expect(await call(client, 'ServerLive', {})).toEqual({ live: true });
        // Several keepalive rounds of silence: Node's HTTP/2 client answers each PING.
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(await call(client, 'ServerLive', {}, { timeoutMs: 2000 })).toEqual({ live: true });
      } finally {
        client.close();
        await server.close();
      }
    }
  });

  it('keepalive reaches the server: a silent connection gets PINGs, and h2c closes it', async () => {
    for (const transport of ['h2c', 'grpc-js'] as const) {
      const server = await serve({
        models: [doubler()],
        port: 0,
        grpc: { port: 0, transport, keepalive: { timeMs: 50, timeoutMs: 150 } },
      });
      const c = await frameClient(server.grpc!.port);
      try {
        const ping = await c.waitFor((f) => f.type === FRAME.PING && f.flags === 0);
        expect(ping.payload.length).toBe(8);
        // Never answered: closed after the timeout (grpc-js's own rules on it differ).
        if (transport === 'h2c') await c.waitClosed(2000);
      } finally {
        c.close();
        await server.close();
      }
    }
  });

  it('close() stops the gRPC server too: new calls fail UNAVAILABLE', async () => {
    const server = await serve({ models: [doubler()], port: 0, grpc: { port: 0 } });
    const client = createClient(server.grpc!.address);
    try {
      expect(await call(client, 'ServerLive', {})).toEqual({ live: true });
      await server.close();
      const error = await statusOf(call(client, 'ServerLive', {}, { timeoutMs: 2000 }));
      expect(error.code).toBe(14);
    } finally {
      client.close();
    }
  });

  it('a message over maxMessageBytes is RESOURCE_EXHAUSTED', async () => {
    const server = await serve({
      models: [doubler()],
      port: 0,
      grpc: { port: 0, maxMessageBytes: 1024 },
    });
    const client = createClient(server.grpc!.address);
    try {
      const error = await statusOf(
        call(client, 'ModelInfer', {
          model_name: 'doubler',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [512, 2] }],
          raw_input_contents: [rawBytes(new Float32Array(1024))],
        }),
      );
      expect(error.code).toBe(8);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('settings: grpc.enabled', () => {
  it('serveFromSettings starts gRPC when settings.grpc.enabled', async () => {
    const server = await serveFromSettings({
      paths: [],
      env: {},
      overrides: { port: 0, grpc: { enabled: true, port: 0 }, metrics: { enabled: false } },
    });
    try {
      expect(server.grpc).toBeDefined();
      const client = createClient(server.grpc!.address);
      expect(await call(client, 'ServerReady', {})).toEqual({ ready: true });
      client.close();
    } finally {
      await server.close();
    }
  });

  it('grpc.transport picks the HTTP/2 server (h2c by default; INFER_GRPC_TRANSPORT too)', async () => {
    const byDefault = await serveFromSettings({
      paths: [],
      env: {},
      overrides: { port: 0, grpc: { enabled: true, port: 0 } },
    });
    const fromEnv = await serveFromSettings({
      paths: [],
      env: { INFER_GRPC_TRANSPORT: 'grpc-js' },
      overrides: { port: 0, grpc: { enabled: true, port: 0 } },
    });
    try {
      expect(byDefault.grpc?.transport).toBe('h2c');
      expect(fromEnv.grpc?.transport).toBe('grpc-js');
      for (const server of [byDefault, fromEnv]) {
        const client = createClient(server.grpc!.address);
        expect(await call(client, 'ServerLive', {})).toEqual({ live: true });
        client.close();
      }
    } finally {
      await byDefault.close();
      await fromEnv.close();
    }
    await expect(
      serveFromSettings({
        paths: [],
        env: { INFER_GRPC_TRANSPORT: 'http3' },
        overrides: { port: 0, grpc: { enabled: true, port: 0 } },
      }),
    ).rejects.toThrow('grpc.transport');
    await expect(
      serve({ port: 0, grpc: { port: 0, transport: 'http3' as 'h2c' } }),
    ).rejects.toThrow("options.grpc.transport must be 'h2c' or 'grpc-js'");
  });

  it('grpc.keepaliveTimeMs / INFER_GRPC_KEEPALIVE_TIME_MS reach the server; bad values are refused', async () => {
    const server = await serveFromSettings({
      paths: [],
      env: { INFER_GRPC_KEEPALIVE_TIME_MS: '50', INFER_GRPC_KEEPALIVE_TIMEOUT_MS: '150' },
      overrides: { port: 0, grpc: { enabled: true, port: 0 } },
    });
    const c = await frameClient(server.grpc!.port);
    try {
      await c.waitFor((f) => f.type === FRAME.PING && f.flags === 0);
      await c.waitClosed(2000);
    } finally {
      c.close();
      await server.close();
    }
    await expect(
      serveFromSettings({
        paths: [],
        env: { INFER_GRPC_KEEPALIVE_TIME_MS: '0' },
        overrides: { port: 0, grpc: { enabled: true, port: 0 } },
      }),
    ).rejects.toThrow('grpc.keepaliveTimeMs');
  });

  it('grpc.sendStallMs / maxQueuedBytes (and their env) reach the h2c server; grpc-js refuses them', async () => {
    const LIVE = '/inference.GRPCInferenceService/ServerLive';
    const server = await serveFromSettings({
      paths: [],
      env: { INFER_GRPC_SEND_STALL_MS: '100', INFER_GRPC_MAX_QUEUED_BYTES: '1' },
      overrides: { port: 0, grpc: { enabled: true, port: 0 } },
    });
    // Windows shut: each answer's DATA waits in the server's queue.
    const c = await frameClient(server.grpc!.port, {
      settings: [[SETTING.INITIAL_WINDOW_SIZE, 0]],
    });
    try {
      c.send(
        headersFrame(1, grpcRequestHeaders(LIVE)),
        dataFrame(1, grpcMessage(Buffer.alloc(0)), true),
      );
      await c.waitFor((f) => f.type === FRAME.HEADERS && f.streamId === 1);
      // One answer of 7 bytes waits, over maxQueuedBytes 1: the next call is refused.
      c.send(
        headersFrame(3, grpcRequestHeaders(LIVE)),
        dataFrame(3, grpcMessage(Buffer.alloc(0)), true),
      );
      const reset = await c.waitFor((f) => f.type === FRAME.RST_STREAM && f.streamId === 3);
      expect(reset.payload.readUInt32BE(0)).toBe(H2_ERROR.REFUSED_STREAM);
      // And the client that takes nothing is cut after sendStallMs (the default waits 60 s).
      await c.waitClosed(3000);
    } finally {
      c.close();
      await server.close();
    }
    await expect(
      serve({ port: 0, grpc: { port: 0, transport: 'grpc-js', sendStallMs: 1000 } }),
    ).rejects.toThrow(
      "options.grpc.sendStallMs is an option of the 'h2c' transport; grpc-js has no equivalent",
    );
    await expect(serve({ port: 0, grpc: { port: 0, maxQueuedBytes: 0 } })).rejects.toThrow(
      'options.grpc.maxQueuedBytes must be a positive integer (bytes)',
    );
    await expect(
      serveFromSettings({
        paths: [],
        env: { INFER_GRPC_SEND_STALL_MS: '-1' },
        overrides: { port: 0, grpc: { enabled: true, port: 0 } },
      }),
    ).rejects.toThrow('grpc.sendStallMs');
    // Set in the environment with grpc-js chosen there too: the message names the setting.
    await expect(
      serveFromSettings({
        paths: [],
        env: { INFER_GRPC_TRANSPORT: 'grpc-js', INFER_GRPC_SEND_STALL_MS: '1000' },
        overrides: { port: 0, grpc: { enabled: true, port: 0 } },
      }),
    ).rejects.toThrow(
      "settings.grpc.sendStallMs (or INFER_GRPC_SEND_STALL_MS) is an option of the 'h2c' transport; grpc.transport is 'grpc-js'",
    );
  });

  it('gRPC is off by default', async () => {
    const server = await serveFromSettings({ paths: [], env: {}, overrides: { port: 0 } });
    try {
      expect(server.grpc).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
