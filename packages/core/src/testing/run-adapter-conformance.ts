import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceHandler } from '../adapters/service-contract';
import type { ModelV1 } from '../spec';
import { type ConformanceProbe, createConformanceModels, createProbe } from './conformance-models';
import { createConformanceService } from './conformance-service';
import type { OipSchemaName } from './oip-rest-schemas';
import { createOipValidator, type OipValidator } from './oip-validator';
import { rawRequest } from './raw-request';

/** A running server under test: its base URL (mount prefix included) and how to stop it. */
export interface ConformanceServer {
  /** Base URL with the mount prefix, no trailing `/`: `http://127.0.0.1:40123/ml`. */
  url: string;
  close(): Promise<void>;
}

/** What the suite hands to `start`: serve exactly this. */
export interface ConformanceContext {
  /** The service to mount (adapters): it serves the suite's `echo`, `slow`, `failing` models. */
  service: InferenceHandler;
  /** Fresh, unloaded instances of the same models, for servers that load their own (`serve()`). */
  createModels(): ModelV1[];
  /** The body limit, in bytes, the server must be configured with (64 KiB). */
  maxBodySize: number;
}

/** Every test of the suite, by exact name (the keys `skip` accepts). */
export const ADAPTER_CONFORMANCE_TESTS = [
  'GET /v2/health/live is 200',
  "HEAD answers as GET does, with the GET body's Content-Length and no body",
  'GET /v2/health/ready is 200 when every model is ready',
  'GET /v2 returns server metadata',
  'GET /v2/models/{name} returns model metadata',
  'GET /v2/models/{name}/versions/{version} returns model metadata',
  'GET /v2/models/{name}/ready is 200',
  'GET /v2/models/{name}/versions/{version}/ready is 200',
  'POST /v2/models/{name}/infer answers JSON',
  'POST /v2/models/{name}/versions/{version}/infer answers JSON',
  'POST infer with binary input and binary output',
  'POST infer with binary input and JSON output',
  'concurrent infers get their own answers',
  'malformed JSON is 400 with an error body',
  'an input that does not fit the model is 400',
  'an unknown model is 404',
  'an unknown version is 404',
  'a failing model is 500 without internals',
  'an unknown route is 404',
  'an unknown method on a known route is 405',
  'a body at the limit is accepted',
  'a declared Content-Length over the limit is 413',
  'a streamed body over the limit is 413',
  'a gzip or deflate request body is decoded',
  'a raw deflate or x-gzip request body is decoded',
  'a compressed body that inflates past the limit is 413',
  'an unknown Content-Encoding is 415 with Accept-Encoding',
  'a body that is not valid gzip is 400',
  'a client disconnect aborts the model signal',
] as const;

/** The exact name of one conformance test. */
export type AdapterConformanceTest = (typeof ADAPTER_CONFORMANCE_TESTS)[number];

/** Options of {@link runAdapterConformance}. */
export interface AdapterConformanceOptions {
  /** Shown in the `describe` title, e.g. `'express'`. */
  name: string;
  /** Starts a server on 127.0.0.1 (port 0) serving `context.service` with `context.maxBodySize`. */
  start(context: ConformanceContext): Promise<ConformanceServer>;
  /** Tests not to run, by exact name, each with the reason (shown in the test title). */
  skip?: Partial<Record<AdapterConformanceTest, string>>;
}

/** The body limit the suite asks for: small, so 413 tests stay fast. */
const MAX_BODY_SIZE = 64 * 1024;

interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json(): unknown;
}

function checkOptions(options: AdapterConformanceOptions): void {
  if (typeof options?.name !== 'string' || options.name === '') {
    throw new TypeError('options.name must be a non-empty string');
  }
  if (typeof options.start !== 'function') throw new TypeError('options.start must be a function');
  for (const [test, reason] of Object.entries(options.skip ?? {})) {
    if (!(ADAPTER_CONFORMANCE_TESTS as readonly string[]).includes(test)) {
      throw new TypeError(`options.skip has an unknown test "${test}"`);
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new TypeError(`options.skip["${test}"] must give the reason as a non-empty string`);
    }
  }
}

/**
 * Registers the shared adapter conformance suite (vitest) for one server: every OIP route,
 * JSON and binary infer, error statuses and bodies, unknown routes and methods, the body
 * limit, compressed request bodies (`Content-Encoding`), client abort, and ajv validation of
 * every JSON body against the OIP REST schemas.
 * Call it at the top level of a test file; `start` runs once in `beforeAll`.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { createNodeHandler } from '@infer/core/node';
 * import { runAdapterConformance } from '@infer/core/testing';
 * runAdapterConformance({
 *   name: 'node:http',
 *   start: async ({ service, maxBodySize }) => {
 *     const server = createServer(createNodeHandler(service, { maxBodySize }));
 *     await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
 *     const { port } = server.address() as { port: number };
 *     return { url: `http://127.0.0.1:${port}`, close: async () => { server.closeAllConnections(); server.close(); } };
 *   },
 * });
 */
export function runAdapterConformance(options: AdapterConformanceOptions): void {
  checkOptions(options);
  const skip: Partial<Record<string, string>> = options.skip ?? {};
  const test = (name: AdapterConformanceTest, body: () => Promise<void>) => {
    const reason = skip[name];
    if (reason === undefined) it(name, body);
    else it.skip(`${name} (skipped: ${reason})`, body);
  };

  describe(`adapter conformance: ${options.name}`, () => {
    let probe: ConformanceProbe;
    let server: ConformanceServer | undefined;
    let closeService: () => Promise<void> = async () => {};
    const oip: OipValidator = createOipValidator();

    beforeAll(async () => {
      probe = createProbe();
      const created = await createConformanceService(createConformanceModels(probe));
      closeService = created.close;
      server = await options.start({
        service: created.service,
        createModels: () => createConformanceModels(probe),
        maxBodySize: MAX_BODY_SIZE,
      });
      if (typeof server?.url !== 'string' || typeof server.close !== 'function') {
        throw new TypeError(
          'options.start must resolve to { url: string, close(): Promise<void> }',
        );
      }
    });

    afterAll(async () => {
      await server?.close();
      await closeService();
    });

    const url = (path: string) => `${(server as ConformanceServer).url}${path}`;

    const call = async (path: string, init: RequestInit = {}): Promise<Reply> => {
      const response = await fetch(url(path), { ...init, signal: AbortSignal.timeout(15_000) });
      const body = Buffer.from(await response.arrayBuffer());
      return {
        status: response.status,
        headers: response.headers,
        body,
        json: () => JSON.parse(body.toString('utf8')),
      };
    };

    /** Asserts a JSON body that matches `schema`, and returns it. */
    const expectJson = (
      reply: Reply,
      status: number,
      schema: OipSchemaName,
    ): Record<string, unknown> => {
      expect({
        status: reply.status,
        body: reply.body.toString('utf8').slice(0, 500),
      }).toMatchObject({ status });
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      const value = reply.json() as Record<string, unknown>;
      oip.assert(schema, value);
      return value;
    };
    const expectError = (reply: Reply, status: number): string => {
      const value = expectJson(reply, status, 'inference_error_response');
      expect(typeof value.error).toBe('string');
      expect(value.error).not.toBe('');
      return value.error as string;
    };

    const jsonInfer = (values: number[], extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        id: 'conformance',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, values.length], data: values }],
        ...extra,
      });
    const postJson = (path: string, body: string) =>
      call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    const expectEcho = (reply: Reply, values: number[]) => {
      const value = expectJson(reply, 200, 'inference_response');
      expect(value.model_name).toBe('echo');
      expect(value.outputs).toEqual([
        { name: 'y', datatype: 'FP32', shape: [1, values.length], data: values },
      ]);
      return value;
    };

    test('GET /v2/health/live is 200', async () => {
      const reply = await call('/v2/health/live');
      expect(reply.status).toBe(200);
    });

    test("HEAD answers as GET does, with the GET body's Content-Length and no body", async () => {
      for (const path of ['/v2/health/live', '/v2']) {
        const get = await call(path);
        const head = await call(path, { method: 'HEAD' });
        expect(head.status).toBe(get.status);
        expect(head.body.byteLength).toBe(0);
        expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
        expect(head.headers.get('content-length')).toBe(String(get.body.byteLength));
      }
    });

    test('GET /v2/health/ready is 200 when every model is ready', async () => {
      const reply = await call('/v2/health/ready');
      expect(reply.status).toBe(200);
    });

    test('GET /v2 returns server metadata', async () => {
      const value = expectJson(await call('/v2'), 200, 'metadata_server_response');
      expect(value.extensions).toEqual(expect.arrayContaining(['binary_tensor_data']));
    });

    test('GET /v2/models/{name} returns model metadata', async () => {
      const value = expectJson(await call('/v2/models/echo'), 200, 'metadata_model_response');
      expect(value).toMatchObject({ name: 'echo', inputs: [{ name: 'x', datatype: 'FP32' }] });
    });

    test('GET /v2/models/{name}/versions/{version} returns model metadata', async () => {
      const value = expectJson(
        await call('/v2/models/echo/versions/1'),
        200,
        'metadata_model_response',
      );
      expect(value).toMatchObject({ name: 'echo', versions: ['1'], outputs: [{ name: 'y' }] });
    });

    test('GET /v2/models/{name}/ready is 200', async () => {
      expect((await call('/v2/models/echo/ready')).status).toBe(200);
    });

    test('GET /v2/models/{name}/versions/{version}/ready is 200', async () => {
      expect((await call('/v2/models/echo/versions/1/ready')).status).toBe(200);
    });

    test('POST /v2/models/{name}/infer answers JSON', async () => {
      const value = expectEcho(
        await postJson('/v2/models/echo/infer', jsonInfer([1, 2.5, -3])),
        [1, 2.5, -3],
      );
      expect(value.id).toBe('conformance');
    });

    test('POST /v2/models/{name}/versions/{version}/infer answers JSON', async () => {
      const value = expectEcho(
        await postJson('/v2/models/echo/versions/1/infer', jsonInfer([4, 5])),
        [4, 5],
      );
      expect(value.model_version).toBe('1');
    });

    const binaryRequest = (values: number[], binaryOutput: boolean) => {
      const data = Buffer.from(new Float32Array(values).buffer);
      const header = Buffer.from(
        JSON.stringify({
          inputs: [
            {
              name: 'x',
              datatype: 'FP32',
              shape: [1, values.length],
              parameters: { binary_data_size: data.byteLength },
            },
          ],
          ...(binaryOutput ? { parameters: { binary_data_output: true } } : {}),
        }),
      );
      return {
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': String(header.byteLength),
        },
        body: Buffer.concat([header, data]),
      };
    };

    test('POST infer with binary input and binary output', async () => {
      const values = [0.5, -1, 3.25, 1e6];
      const reply = await call('/v2/models/echo/infer', binaryRequest(values, true));
      expect(reply.status).toBe(200);
      const headerLength = Number(reply.headers.get('inference-header-content-length'));
      expect(Number.isInteger(headerLength) && headerLength > 0).toBe(true);
      const header = JSON.parse(reply.body.subarray(0, headerLength).toString('utf8')) as {
        outputs: Array<{
          name: string;
          shape: number[];
          parameters?: { binary_data_size?: number };
        }>;
      };
      oip.assert('inference_response', header, { binary: true });
      expect(header.outputs[0]).toMatchObject({
        name: 'y',
        shape: [1, 4],
        parameters: { binary_data_size: 16 },
      });
      const data = reply.body.subarray(headerLength);
      expect(data.byteLength).toBe(16);
      expect(Array.from(new Float32Array(new Uint8Array(data).buffer))).toEqual(values);
    });

    test('POST infer with binary input and JSON output', async () => {
      expectEcho(await call('/v2/models/echo/infer', binaryRequest([7, 8, 9], false)), [7, 8, 9]);
    });

    test('concurrent infers get their own answers', async () => {
      const replies = await Promise.all(
        Array.from({ length: 16 }, (_, index) =>
          postJson('/v2/models/echo/infer', jsonInfer([index, index + 0.5])),
        ),
      );
      for (const [index, reply] of replies.entries()) expectEcho(reply, [index, index + 0.5]);
    });

    test('malformed JSON is 400 with an error body', async () => {
      expectError(await postJson('/v2/models/echo/infer', '{"inputs": [ not json'), 400);
    });

    test('an input that does not fit the model is 400', async () => {
      const body = JSON.stringify({
        inputs: [{ name: 'nope', datatype: 'FP32', shape: [1, 1], data: [1] }],
      });
      expectError(await postJson('/v2/models/echo/infer', body), 400);
    });

    test('an unknown model is 404', async () => {
      expectError(await postJson('/v2/models/no-such-model/infer', jsonInfer([1])), 404);
      expectError(await call('/v2/models/no-such-model'), 404);
    });

    test('an unknown version is 404', async () => {
      expectError(await postJson('/v2/models/echo/versions/999/infer', jsonInfer([1])), 404);
      expectError(await call('/v2/models/echo/versions/999'), 404);
    });

    test('a failing model is 500 without internals', async () => {
      const message = expectError(await postJson('/v2/models/failing/infer', jsonInfer([1])), 500);
      expect(message).not.toMatch(/SECRET-INTERNAL|weights\.bin|\n\s+at /);
    });

    test('an unknown route is 404', async () => {
      expectError(await call('/v2/no/such/route'), 404);
    });

    test('an unknown method on a known route is 405', async () => {
      const reply = await call('/v2/health/live', { method: 'DELETE' });
      expectError(reply, 405);
      expect(reply.headers.get('allow') ?? '').toMatch(/GET/);
    });

    test('a body at the limit is accepted', async () => {
      const body = jsonInfer([1, 2]);
      const padded = body.slice(0, -1) + ' '.repeat(MAX_BODY_SIZE - Buffer.byteLength(body)) + '}';
      expect(Buffer.byteLength(padded)).toBe(MAX_BODY_SIZE);
      expectEcho(await postJson('/v2/models/echo/infer', padded), [1, 2]);
    });

    test('a declared Content-Length over the limit is 413', async () => {
      const body = Buffer.alloc(MAX_BODY_SIZE + 1, 0x20);
      const reply = await rawRequest(url('/v2/models/echo/infer'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.byteLength },
        chunks: [body],
        // The limit must be enforced on the header alone: no body is sent for 2 s.
        holdBodyMs: 2_000,
      });
      expect(reply.status).toBe(413);
      expect(reply.sentBeforeResponse, 'the 413 came only after the body was sent').toBe(0);
      oip.assert('inference_error_response', JSON.parse(reply.body.toString('utf8')));
    });

    test('a streamed body over the limit is 413', async () => {
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const reply = await rawRequest(url('/v2/models/echo/infer'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        // 64 chunks = 1 MiB; writing stops when the 413 arrives, which must be long before.
        chunks: Array.from({ length: 64 }, () => chunk),
      });
      expect(reply.status).toBe(413);
      expect(reply.sentBeforeResponse, 'the whole body was read before the 413').toBeLessThan(
        1024 * 1024,
      );
      oip.assert('inference_error_response', JSON.parse(reply.body.toString('utf8')));
    });

    // What tritonclient sends with request_compression_algorithm: the whole body compressed,
    // Inference-Header-Content-Length still counting the decoded JSON header.
    const compressed = (
      encoding: string,
      compress: (bytes: Buffer) => Buffer,
      request: { headers: Record<string, string>; body: Buffer },
    ) => ({
      method: 'POST',
      headers: { ...request.headers, 'content-encoding': encoding },
      body: compress(request.body),
    });
    const jsonRequest = (values: number[]) => ({
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(jsonInfer(values)),
    });

    test('a gzip or deflate request body is decoded', async () => {
      expectEcho(
        await call('/v2/models/echo/infer', compressed('gzip', gzipSync, jsonRequest([1, 2]))),
        [1, 2],
      );
      const values = [0.25, -8, 3];
      const reply = await call(
        '/v2/models/echo/infer',
        compressed('deflate', deflateSync, binaryRequest(values, true)),
      );
      expect(reply.status).toBe(200);
      const headerLength = Number(reply.headers.get('inference-header-content-length'));
      const data = new Uint8Array(reply.body.subarray(headerLength));
      expect(Array.from(new Float32Array(data.buffer))).toEqual(values);
    });

    test('a raw deflate or x-gzip request body is decoded', async () => {
      // "deflate" sent as raw deflate (RFC 1951), as some clients do; `x-gzip` is gzip.
      expectEcho(
        await call(
          '/v2/models/echo/infer',
          compressed('deflate', deflateRawSync, jsonRequest([3])),
        ),
        [3],
      );
      expectEcho(
        await call('/v2/models/echo/infer', compressed('x-gzip', gzipSync, jsonRequest([4]))),
        [4],
      );
    });

    test('a compressed body that inflates past the limit is 413', async () => {
      // A valid request padded to 4 MiB: 4 KiB on the wire, 64 times the limit decoded.
      const body = jsonInfer([1, 2]);
      const padded = `${body.slice(0, -1)}${' '.repeat(4 * 1024 * 1024)}}`;
      const request = compressed('gzip', gzipSync, {
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(padded),
      });
      expect(request.body.byteLength).toBeLessThan(MAX_BODY_SIZE);
      expectError(await call('/v2/models/echo/infer', request), 413);
      expect((await call('/v2/health/live')).status).toBe(200);
    });

    test('an unknown Content-Encoding is 415 with Accept-Encoding', async () => {
      const reply = await call('/v2/models/echo/infer', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' },
        body: jsonInfer([1]),
      });
      expect(expectError(reply, 415)).toMatch(/zstd/);
      expect(reply.headers.get('accept-encoding') ?? '').toMatch(/gzip/);
      // Brotli is refused too: a few bytes of it inflate to the whole body limit.
      const br = await call(
        '/v2/models/echo/infer',
        compressed('br', brotliCompressSync, jsonRequest([1])),
      );
      expect(expectError(br, 415)).toMatch(/br/);
      // A request without a body has nothing coded, whatever its header says.
      const bodyless = await call('/v2/health/live', { headers: { 'content-encoding': 'zstd' } });
      expect(bodyless.status).toBe(200);
    });

    test('a body that is not valid gzip is 400', async () => {
      const whole = gzipSync(Buffer.from(jsonInfer([1, 2, 3])));
      for (const body of [Buffer.from(jsonInfer([1])), whole.subarray(0, whole.byteLength - 6)]) {
        const reply = await call('/v2/models/echo/infer', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body,
        });
        expect(expectError(reply, 400)).toMatch(/gzip/);
      }
    });

    test('a client disconnect aborts the model signal', async () => {
      const abortedBefore = probe.slowAborted;
      const started = new Promise<AbortSignal | undefined>((resolve) =>
        probe.slowStarted.push(resolve),
      );
      const aborted = new Promise<void>((resolve) => probe.abortWaiters.push(resolve));
      let destroy: () => void = () => {};
      const pending = rawRequest(url('/v2/models/slow/infer'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        chunks: [Buffer.from(jsonInfer([1]))],
        onSent: (destroyRequest) => {
          destroy = destroyRequest;
        },
      }).catch(() => undefined);
      const signal = await withTimeout(started, 10_000, 'the slow model never started');
      expect(signal, 'the model got no AbortSignal').toBeDefined();
      destroy();
      await withTimeout(
        aborted,
        5_000,
        'the model signal was not aborted after the client disconnected',
      );
      expect(probe.slowAborted).toBe(abortedBefore + 1);
      await pending;
      expect((await call('/v2/health/live')).status).toBe(200);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
