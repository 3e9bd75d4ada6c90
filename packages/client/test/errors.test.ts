import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, createClient, InferClientError } from '../src/index';
import { startRawServer } from './raw-server';
import { errorsSuite } from './suites/errors.suite';
import { nodeHost, startTestServer } from './test-server';

let server: InferServer;
let garbage: Server;
let garbageUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  // A server that answers 200 with something that is not OIP.
  garbage = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end('{"model_name": 42}');
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  await new Promise((resolve) => garbage.close(resolve));
});

// The suite body is shared with the headless Chromium run (test/browser/).
errorsSuite(
  { describe, it, expect },
  nodeHost(() => ({ test: server })),
);

describe('answers that are not OIP', () => {
  it('rejects an answer that is not OIP with INFER_CLIENT_ERR_DECODE', async () => {
    const other = createClient({ baseUrl: garbageUrl });
    const error = await other
      .model('m')
      .infer({ x: new Float32Array(1) })
      .catch((caught: unknown) => caught);
    expect(InferClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_DECODE' });
    expect((error as Error).message).toMatch(/model_name/);
    await expect(other.metadata()).rejects.toMatchObject({ code: 'INFER_CLIENT_ERR_DECODE' });
  });
});

describe("other servers' error bodies", () => {
  it.each([
    ["FastAPI's detail", '{"detail":"Not Found"}', 'Not Found'],
    ['a message field', '{"message":"quota exceeded","code":42}', 'quota exceeded'],
    [
      'an error object',
      '{"error":{"message":"bad","code":3}}',
      '{"error":{"message":"bad","code":3}}',
    ],
    ['JSON that is not an object', '["x"]', '["x"]'],
    [
      'a long JSON body, cut to 200 characters',
      `{"items":[${'1,'.repeat(200)}1]}`,
      `{"items":[${'1,'.repeat(95)}`,
    ],
  ])('keeps the text of %s as serverMessage', async (_case, body, serverMessage) => {
    const other = await startRawServer((_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' }).end(body);
    });
    try {
      const error = await createClient({ baseUrl: other.url })
        .metadata()
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_HTTP', status: 500, serverMessage });
      expect((error as Error).message).toBe(`GET ${other.url}/v2 answered 500: ${serverMessage}`);
    } finally {
      await other.close();
    }
  });
});

describe('instanceof across copies of the package', () => {
  // The published builds: the ESM and CommonJS copies of the main entry, and the CommonJS
  // `/grpc` entry, which bundles its own copy of the error class (needs `pnpm build`).
  const require = createRequire(import.meta.url);
  const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
  type Entry = { InferClientError: typeof InferClientError };
  type GrpcEntry = { createGrpcClient: (options: unknown) => unknown };

  it('holds for an error made by the CommonJS /grpc entry, checked with the main entries', async () => {
    const cjsMain = require(dist('index.cjs')) as Entry;
    const cjsGrpc = require(dist('grpc/index.cjs')) as GrpcEntry;
    const esmMain = (await import(dist('index.js'))) as Entry;
    let thrown: unknown;
    try {
      cjsGrpc.createGrpcClient({});
    } catch (error) {
      thrown = error;
    }
    expect(cjsMain.InferClientError).not.toBe(esmMain.InferClientError);
    expect(thrown).toBeInstanceOf(cjsMain.InferClientError);
    expect(thrown).toBeInstanceOf(esmMain.InferClientError);
    expect(thrown).toBeInstanceOf(InferClientError);
    expect(new cjsMain.InferClientError('INFER_CLIENT_ERR_TIMEOUT', 'late')).toBeInstanceOf(
      esmMain.InferClientError,
    );
  });

  it('is false for other errors, and a subclass keeps the prototype check', () => {
    expect(new Error('x')).not.toBeInstanceOf(InferClientError);
    expect(Object.assign(new Error('x'), { code: 'INFER_CLIENT_ERR_HTTP' })).not.toBeInstanceOf(
      InferClientError,
    );
    expect(null).not.toBeInstanceOf(InferClientError);
    class AppError extends InferClientError {}
    const base = new InferClientError('INFER_CLIENT_ERR_HTTP', 'x');
    const derived = new AppError('INFER_CLIENT_ERR_HTTP', 'y');
    expect(base).not.toBeInstanceOf(AppError);
    expect(derived).toBeInstanceOf(AppError);
    expect(derived).toBeInstanceOf(InferClientError);
    expect(derived).toBeInstanceOf(Error);
  });

  it('lets a subclass take options of its own (only the context fields are copied)', () => {
    class TaggedError extends InferClientError {
      readonly requestId: string;
      constructor(options: { requestId: string; status: number }) {
        super('INFER_CLIENT_ERR_HTTP', 'tagged', options);
        this.requestId = options.requestId;
      }
    }
    const error = new TaggedError({ requestId: 'r-1', status: 503 });
    expect(error).toMatchObject({ requestId: 'r-1', status: 503, code: 'INFER_CLIENT_ERR_HTTP' });
    const sneaky = new InferClientError('INFER_CLIENT_ERR_HTTP', 'x', {
      code: 'INFER_CLIENT_ERR_TIMEOUT',
    } as never);
    expect(sneaky.code).toBe('INFER_CLIENT_ERR_HTTP');
  });
});

describe('CLIENT_ERROR_CODES', () => {
  it('lists every code once, each documented in the README', () => {
    expect(new Set(CLIENT_ERROR_CODES).size).toBe(CLIENT_ERROR_CODES.length);
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of CLIENT_ERROR_CODES) {
      expect(code).toMatch(/^INFER_CLIENT_ERR_[A-Z_]+$/);
      expect(readme, code).toContain(`\`${code}\``);
    }
  });
});
