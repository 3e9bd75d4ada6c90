import { request as httpRequest } from 'node:http';
import { BINARY_HEADER, decodeInferenceResponse, encodeInferenceRequest } from '@infer/codecs';
import { defineModel, InferenceService, ModelRepository, serve } from '@infer/core';
import { sendServiceResponse } from '@infer/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './listen';

/**
 * Binary tensor answers leave the service as parts (JSON header, then each output's own
 * bytes) and node:http writes them without joining: the bytes must arrive whole and in
 * order, for several outputs of odd and empty sizes, and for one large enough that the
 * socket write finishes after `handle()` has returned.
 */
const BIG = 5 * 1024 * 1024; // FP32 elements: 20 MiB, more than a socket takes at once

const model = defineModel({
  name: 'multi',
  inputs: [{ name: 'n', datatype: 'INT32', shape: [1] }],
  outputs: [
    { name: 'odd', datatype: 'INT8', shape: [-1] },
    { name: 'empty', datatype: 'FP32', shape: [0] },
    { name: 'big', datatype: 'FP32', shape: [-1] },
  ],
  serving: { batching: false },
  predict: (request) => {
    const n = (request.inputs[0]!.data as Int32Array)[0]!;
    const big = new Float32Array(n);
    for (let i = 0; i < n; i++) big[i] = i % 1009;
    return [
      { name: 'odd', datatype: 'INT8', shape: [3], data: new Int8Array([-7, 0, 7]) },
      { name: 'empty', datatype: 'FP32', shape: [0], data: new Float32Array(0) },
      { name: 'big', datatype: 'FP32', shape: [n], data: big },
    ];
  },
});

let server: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  server = await serve({ models: [model], port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
});

/** POSTs and reads the answer slowly (paused between chunks), so the server's write is queued. */
function slowPost(url: string, body: Uint8Array, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(Buffer.from(body));
    },
  );
}

describe('binary answers written as parts over node:http', () => {
  it('arrive whole: odd, empty and large outputs, to a slow reader', async () => {
    const encoded = encodeInferenceRequest(
      {
        inputs: [{ name: 'n', datatype: 'INT32', shape: [1], data: new Int32Array([BIG]) }],
        parameters: { binary_data_output: true },
      },
      { binary: true },
    );
    const answer = await slowPost(
      `${server.url}/v2/models/multi/infer`,
      encoded.body,
      encoded.headers,
    );
    expect(answer.status).toBe(200);
    expect(Number(answer.headers['content-length'])).toBe(answer.body.byteLength);
    const decoded = decodeInferenceResponse(answer.body, {
      headerLength: answer.headers[BINARY_HEADER] as string,
    });
    expect(decoded.outputs.map((o) => o.name)).toEqual(['odd', 'empty', 'big']);
    expect(Array.from(decoded.outputs[0]!.data as Int8Array)).toEqual([-7, 0, 7]);
    expect(decoded.outputs[1]!.data).toHaveLength(0);
    const big = decoded.outputs[2]!.data as Float32Array;
    expect(big).toHaveLength(BIG);
    let wrong = 0;
    for (let i = 0; i < BIG; i++) if (big[i] !== i % 1009) wrong += 1;
    expect(wrong).toBe(0);
  });
});

describe('sendServiceResponse', () => {
  it('writes bodyParts, not body, when a response has them', async () => {
    const parts = [new Uint8Array([104, 105]), new Uint8Array(0), new Uint8Array([33])];
    const response = {
      status: 200,
      headers: { 'content-type': 'application/octet-stream' },
      get body(): Uint8Array {
        throw new Error('body must not be read when bodyParts are given');
      },
      bodyParts: parts,
    };
    const { createServer } = await import('node:http');
    const http = await listen(createServer((_req, res) => sendServiceResponse(res, response)));
    try {
      const reply = await fetch(http.url);
      expect(reply.headers.get('content-length')).toBe('3');
      expect(await reply.text()).toBe('hi!');
    } finally {
      await http.close();
    }
  });

  it("the service's parts response: spreading or assigning body drops the parts", async () => {
    const repository = new ModelRepository().add(model);
    await repository.loadAll();
    const service = new InferenceService({ repository });
    const encoded = encodeInferenceRequest(
      {
        inputs: [{ name: 'n', datatype: 'INT32', shape: [1], data: new Int32Array([4]) }],
        parameters: { binary_data_output: true },
      },
      { binary: true },
    );
    const handle = () =>
      service.handle({
        method: 'POST',
        path: '/v2/models/multi/infer',
        headers: encoded.headers,
        body: encoded.body,
      });
    const response = await handle();
    expect(response.bodyParts).toHaveLength(4);
    expect(response.body).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(response.body)).toBe(false);
    const spread = { ...response };
    expect(spread.bodyParts).toBeUndefined();
    expect(spread.body).toBe(response.body);
    const rewritten = await handle();
    rewritten.body = 'replaced';
    expect(rewritten.bodyParts).toBeUndefined();
    expect(rewritten.body).toBe('replaced');
    await repository.close();
  });
});
