/**
 * Response compression of `serve()` / `createNodeHandler` (`compression`), read on raw
 * `node:http` so the coded bytes are seen as sent (fetch would decode them), and the
 * `Accept-Encoding` negotiation on its own.
 */
import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { encodeInferenceRequest } from '@infer/codecs';
import { defineModel, type InferServer, InvalidOptionError, serve } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeRequestBody,
  encodeResponse,
  negotiateCoding,
  resolveCompression,
} from '../../src/adapters/content-coding';
import type { ServiceRequest, ServiceResponse } from '../../src/adapters/service-contract';
import { rawRequest } from '../../src/testing/raw-request';

const echo = () =>
  defineModel({
    name: 'echo',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, -1] }],
    predict: (request) => [{ ...request.inputs[0]!, name: 'y' }],
  });

/** 1000 values: a JSON answer of several KiB. */
const VALUES = Array.from({ length: 1000 }, (_, index) => index / 8);

/** POSTs to the echo model on raw `node:http` (`rawRequest`), so coded answers stay coded. */
function post(url: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  return rawRequest(`${url}/v2/models/echo/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    chunks: [Buffer.from(body)],
  });
}

const jsonBody = (values: number[]) =>
  JSON.stringify({
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, values.length], data: values }],
  });

/** The binary extension, outputs in binary too. */
const binaryBody = (values: number[]) =>
  encodeInferenceRequest(
    {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, values.length], data: new Float32Array(values) },
      ],
      parameters: { binary_data_output: true },
    },
    { binary: true },
  );

describe('serve() with compression', () => {
  let server: InferServer;
  let plain: InferServer;
  beforeAll(async () => {
    server = await serve({ models: [echo()], port: 0, compression: true });
    plain = await serve({ models: [echo()], port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await plain?.close();
  });

  it('answers gzip to a client that accepts it, the same JSON once decoded', async () => {
    const identity = await post(server.url, jsonBody(VALUES));
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers.vary).toMatch(/accept-encoding/i);
    const gzip = await post(server.url, jsonBody(VALUES), { 'accept-encoding': 'gzip, deflate' });
    expect(gzip.status).toBe(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.vary).toMatch(/accept-encoding/i);
    expect(Number(gzip.headers['content-length'])).toBe(gzip.body.byteLength);
    expect(gzip.body.byteLength).toBeLessThan(identity.body.byteLength / 2);
    expect(gunzipSync(gzip.body).toString('utf8')).toBe(identity.body.toString('utf8'));
  });

  it('follows the client’s weights: deflate when gzip is refused', async () => {
    const answer = await post(server.url, jsonBody(VALUES), {
      'accept-encoding': 'gzip;q=0, deflate',
    });
    expect(answer.headers['content-encoding']).toBe('deflate');
    expect(JSON.parse(inflateSync(answer.body).toString('utf8')).outputs[0].data).toEqual(VALUES);
  });

  it('compresses a binary answer whole; the header length counts the decoded JSON', async () => {
    const { body, headers } = binaryBody(VALUES);
    const answer = await post(server.url, body, { ...headers, 'accept-encoding': 'gzip' });
    expect(answer.headers['content-encoding']).toBe('gzip');
    const decoded = gunzipSync(answer.body);
    const headerLength = Number(answer.headers['inference-header-content-length']);
    const header = JSON.parse(decoded.subarray(0, headerLength).toString('utf8'));
    expect(header.outputs[0].parameters.binary_data_size).toBe(VALUES.length * 4);
    const data = new Uint8Array(decoded.subarray(headerLength));
    expect(Array.from(new Float32Array(data.buffer))).toEqual(VALUES);
  });

  it('leaves answers under the threshold uncompressed (still Vary)', async () => {
    const answer = await post(server.url, jsonBody([1, 2]), { 'accept-encoding': 'gzip' });
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers.vary).toMatch(/accept-encoding/i);
    expect(JSON.parse(answer.body.toString('utf8')).outputs[0].data).toEqual([1, 2]);
  });

  it('answers HEAD with the Vary of GET', async () => {
    const head = await fetch(`${server.url}/v2/docs/openapi.json`, {
      method: 'HEAD',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('vary')).toMatch(/accept-encoding/i);
    // The GET would be compressed: the HEAD names the coding, and no length it cannot know.
    expect(head.headers.get('content-encoding')).toBe('gzip');
    expect(head.headers.get('content-length')).toBeNull();
    // (fetch asks for gzip by default: `identity` asks for none.)
    const identity = { 'accept-encoding': 'identity' };
    const plainHead = await fetch(`${server.url}/v2/docs/openapi.json`, {
      method: 'HEAD',
      headers: identity,
    });
    const plainGet = await fetch(`${server.url}/v2/docs/openapi.json`, { headers: identity });
    expect(plainHead.headers.get('content-encoding')).toBeNull();
    expect(plainHead.headers.get('content-length')).toBe(
      String((await plainGet.arrayBuffer()).byteLength),
    );
  });

  it('compresses nothing when off (the default)', async () => {
    const answer = await post(plain.url, jsonBody(VALUES), { 'accept-encoding': 'gzip' });
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers.vary).toBeUndefined();
  });

  it('is on from settings.compression, with its threshold', async () => {
    const fromSettings = await serve({
      models: [echo()],
      settings: { port: 0, compression: { enabled: true, threshold: 0, level: 1 } },
    });
    try {
      const answer = await post(fromSettings.url, jsonBody([1]), { 'accept-encoding': 'gzip' });
      expect(answer.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(answer.body).toString('utf8')).outputs[0].data).toEqual([1]);
    } finally {
      await fromSettings.close();
    }
  });

  it('keeps the CORS Vary: Origin beside Vary: Accept-Encoding', async () => {
    const withCors = await serve({
      models: [echo()],
      compression: true,
      settings: { port: 0, cors: { origin: 'https://app.example' } },
    });
    try {
      const answer = await post(withCors.url, jsonBody(VALUES), {
        origin: 'https://app.example',
        'accept-encoding': 'gzip',
      });
      expect(answer.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(answer.headers.vary).toBe('origin, accept-encoding');
      expect(answer.headers['content-encoding']).toBe('gzip');
    } finally {
      await withCors.close();
    }
  });

  it('refuses invalid options before listening', async () => {
    await expect(serve({ models: [], port: 0, compression: { level: 12 } })).rejects.toThrow(
      InvalidOptionError,
    );
    await expect(
      serve({ models: [], port: 0, compression: 'yes' as unknown as boolean }),
    ).rejects.toThrow(/options\.compression/);
  });
});

describe('Accept-Encoding negotiation', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['gzip, deflate, br', 'gzip'],
    ['deflate;q=1, gzip;q=0.5', 'deflate'],
    ['GZIP;Q=0.2', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', undefined],
    ['identity', undefined],
    ['*', 'gzip'],
    ['gzip;q=0, *;q=0.3', 'deflate'],
    ['*;q=0', undefined],
    ['gzip;q=nonsense', undefined],
  ])('%j -> %j', (header, expected) => {
    expect(negotiateCoding(header)).toBe(expected);
  });

  it('resolves the option', () => {
    expect(resolveCompression(undefined)).toBeUndefined();
    expect(resolveCompression(false)).toBeUndefined();
    expect(resolveCompression(true)).toEqual({ threshold: 1024, level: 6 });
    expect(resolveCompression({ threshold: 0, level: 9 })).toEqual({ threshold: 0, level: 9 });
    expect(() => resolveCompression({ threshold: -1 })).toThrow(/threshold/);
    expect(() => resolveCompression({ level: 0 })).toThrow(/level/);
  });
});

describe('encodeResponse', () => {
  /** A binary answer in parts whose joined `body` counts its reads, as the service builds it. */
  function partsAnswer() {
    const parts = [Buffer.from('{"outputs":[]}'), new Uint8Array(4096).fill(7)];
    let joins = 0;
    const response = { status: 200, headers: { 'content-type': 'application/octet-stream' } };
    Object.defineProperty(response, 'body', {
      enumerable: true,
      get: () => {
        joins++;
        return Buffer.concat(parts);
      },
    });
    Object.defineProperty(response, 'bodyParts', { value: parts, writable: true });
    return { response: response as unknown as ServiceResponse, parts, joins: () => joins };
  }

  it('does not join a binary answer it does not compress', async () => {
    const options = { threshold: 1024, level: 6 };
    for (const accept of [undefined, 'identity', 'br']) {
      const { response, parts, joins } = partsAnswer();
      const sent = await encodeResponse(response, accept, options);
      expect(joins()).toBe(0);
      expect(sent.bodyParts).toBe(parts);
      expect(sent.headers.vary).toBe('accept-encoding');
    }
  });

  it('compresses a binary answer it is asked to, from its joined body', async () => {
    const { response, parts } = partsAnswer();
    const sent = await encodeResponse(response, 'gzip', { threshold: 1024, level: 1 });
    expect(sent.headers['content-encoding']).toBe('gzip');
    expect(sent.bodyParts).toBeUndefined();
    expect(gunzipSync(sent.body as Uint8Array)).toEqual(Buffer.concat(parts));
  });
});

describe('decodeRequestBody', () => {
  const requestOf = (body: Uint8Array, encoding: string): ServiceRequest => ({
    method: 'POST',
    path: '/v2/models/m/infer',
    headers: { 'content-encoding': encoding },
    body,
  });

  it('decodes many bodies at once, two at a time, failures releasing their turn', async () => {
    const good = Array.from({ length: 8 }, (_, index) =>
      requestOf(gzipSync(Buffer.from(`{"n":${index}}`)), 'gzip'),
    );
    const bad = Array.from({ length: 4 }, () => requestOf(Buffer.from('not gzip'), 'gzip'));
    const results = await Promise.allSettled(
      [...bad, ...good].map((request) => decodeRequestBody(request, 1024)),
    );
    expect(results.slice(0, 4).every((result) => result.status === 'rejected')).toBe(true);
    expect(results.slice(4).every((result) => result.status === 'fulfilled')).toBe(true);
    good.forEach((request, index) => {
      expect(Buffer.from(request.body!).toString('utf8')).toBe(`{"n":${index}}`);
      expect(request.headers['content-encoding']).toBeUndefined();
    });
  });

  it('leaves a request without a body alone, whatever its coding', async () => {
    const request: ServiceRequest = {
      method: 'GET',
      path: '/v2',
      headers: { 'content-encoding': 'zstd' },
    };
    await decodeRequestBody(request, 1024);
    expect(request.body).toBeUndefined();
    expect(request.headers['content-encoding']).toBeUndefined();
  });
});
