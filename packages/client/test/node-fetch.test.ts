/**
 * The client's sender in Node (`src/node-fetch.ts`, taken by the package's `node` export
 * condition): real `node:http` servers on loopback, answering what `fetch` would answer.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { defineModel, type InferServer, serve } from '@infer/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClient, InferClientError } from '../src/node';
import { createNodeFetch, nodeFetch } from '../src/node-fetch';

type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;

interface TestServer {
  url: string;
  /** Connections accepted so far. */
  connections: () => number;
  close: () => Promise<void>;
}

const servers: TestServer[] = [];

/** A node:http server on 127.0.0.1 port 0 that hands each request, body read, to `handler`. */
async function startServer(handler: Handler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handler(request, Buffer.concat(chunks), response));
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  vi.restoreAllMocks();
});

/** What a request looked like to the server. */
function echoOf(request: IncomingMessage, body: Buffer) {
  return JSON.stringify({
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: body.toString(),
  });
}

const post = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: new TextEncoder().encode(body),
});

async function jsonOf(response: Response): Promise<Record<string, unknown>> {
  return JSON.parse(new TextDecoder().decode(await response.arrayBuffer()));
}

describe('nodeFetch', () => {
  it('sends method, headers and body, and answers status, headers and bytes', async () => {
    const server = await startServer((request, body, response) => {
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.writeHead(201, { 'content-type': 'application/json', 'x-Mixed': 'yes' });
      response.end(echoOf(request, body));
    });
    const response = await nodeFetch(`${server.url}/v2/x?q=1`, post('{"a":1}', { 'X-Up': 'Case' }));
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get('X-MIXED')).toBe('yes');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(response.headers.get('absent')).toBeNull();
    const seen = await jsonOf(response);
    expect(seen).toMatchObject({ method: 'POST', url: '/v2/x?q=1', body: '{"a":1}' });
    expect(seen.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': '7',
      'x-up': 'Case',
      // What fetch advertises; answers in these codings are decoded (below).
      'accept-encoding': 'gzip, deflate, br',
    });
  });

  it('sends header values as fetch does: trimmed, and one name in two cases joined', async () => {
    const server = await startServer((request, body, response) =>
      response.end(echoOf(request, body)),
    );
    const seen = await jsonOf(
      await nodeFetch(server.url, {
        method: 'GET',
        headers: { authorization: 'Bearer abc\n', Accept: 'text/plain', accept: ' a/b ' },
      }),
    );
    expect(seen.headers).toMatchObject({ authorization: 'Bearer abc', accept: 'text/plain, a/b' });
  });

  it('refuses a URL with credentials, as fetch does, and sends nothing', async () => {
    let calls = 0;
    const server = await startServer((_request, _body, response) => {
      calls += 1;
      response.end();
    });
    const withCredentials = server.url.replace('http://', 'http://user:secret@');
    await expect(nodeFetch(withCredentials, { method: 'GET' })).rejects.toThrow(
      'includes credentials',
    );
    expect(calls).toBe(0);
  });

  it('takes headers as a Headers or a list too, and a string or ArrayBuffer body', async () => {
    const server = await startServer((request, body, response) =>
      response.end(echoOf(request, body)),
    );
    const viaHeaders = await jsonOf(
      await nodeFetch(server.url, {
        method: 'POST',
        headers: new Headers({ 'X-A': '1', 'accept-encoding': 'identity' }),
        body: 'text',
      }),
    );
    expect(viaHeaders).toMatchObject({ body: 'text' });
    expect(viaHeaders.headers).toMatchObject({ 'x-a': '1', 'accept-encoding': 'identity' });
    const viaList = await jsonOf(
      await nodeFetch(server.url, {
        method: 'POST',
        headers: [['X-B', '2']],
        body: new Uint8Array([104, 105]).buffer,
      }),
    );
    expect(viaList).toMatchObject({ body: 'hi', headers: { 'x-b': '2' } });
    await expect(nodeFetch(server.url, { method: 'POST', body: new Blob(['x']) })).rejects.toThrow(
      TypeError,
    );
  });

  it('keeps connections alive: calls one after another share one connection', async () => {
    const server = await startServer((request, body, response) =>
      response.end(echoOf(request, body)),
    );
    for (let i = 0; i < 5; i++) expect((await nodeFetch(server.url, post('{}'))).status).toBe(200);
    expect(server.connections()).toBe(1);
  });

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['deflate', deflateRawSync],
    ['br', brotliCompressSync],
  ] as const)('decodes a %s answer', async (coding, compress) => {
    const text = JSON.stringify({ outputs: Array.from({ length: 200 }, (_, i) => i) });
    const server = await startServer((_request, _body, response) => {
      response.writeHead(200, { 'content-encoding': coding });
      response.end(compress(Buffer.from(text)));
    });
    const response = await nodeFetch(server.url, { method: 'GET' });
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe(text);
  });

  it('undoes several codings, last applied first; with one it does not know, none (as undici)', async () => {
    const server = await startServer((request, _body, response) => {
      if (request.url === '/two') {
        response.writeHead(200, { 'content-encoding': 'gzip, br' });
        response.end(brotliCompressSync(gzipSync(Buffer.from('twice'))));
      } else if (request.url === '/six') {
        response.writeHead(200, { 'content-encoding': 'gzip, gzip, gzip, gzip, gzip, gzip' });
        response.end('x');
      } else {
        const coding = request.url === '/zstd' ? 'zstd' : 'gzip, identity';
        response.writeHead(200, { 'content-encoding': coding });
        response.end(coding === 'zstd' ? 'as sent' : gzipSync(Buffer.from('x')));
      }
    });
    const text = async (path: string) =>
      new TextDecoder().decode(
        await (await nodeFetch(`${server.url}${path}`, { method: 'GET' })).arrayBuffer(),
      );
    expect(await text('/two')).toBe('twice');
    expect(await text('/zstd')).toBe('as sent');
    expect(await text('/mixed')).toBe(gzipSync(Buffer.from('x')).toString());
    await expect(text('/six')).rejects.toThrow('too many content-encodings');
  });

  it('does not decode a redirect it follows, nor a body-less answer', async () => {
    const server = await startServer((request, _body, response) => {
      if (request.url === '/moved') {
        response.writeHead(302, { location: '/here', 'content-encoding': 'gzip' });
        response.end('not gzip at all');
      } else if (request.url === '/empty') {
        response.writeHead(204, { 'content-encoding': 'gzip' }).end();
      } else {
        response.end('here');
      }
    });
    const moved = await nodeFetch(`${server.url}/moved`, { method: 'GET' });
    expect(new TextDecoder().decode(await moved.arrayBuffer())).toBe('here');
    const empty = await nodeFetch(`${server.url}/empty`, { method: 'GET' });
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  });

  it('follows 307 and 308 with the same method and body', async () => {
    const server = await startServer((request, body, response) => {
      if (request.url === '/a') response.writeHead(307, { location: '/b' }).end();
      else if (request.url === '/b') response.writeHead(308, { location: `${server.url}/c` }).end();
      else response.end(echoOf(request, body));
    });
    const seen = await jsonOf(await nodeFetch(`${server.url}/a`, post('{"x":1}')));
    expect(seen).toMatchObject({ method: 'POST', url: '/c', body: '{"x":1}' });
  });

  it('turns a POST into a GET without its body on 301, 302 and 303, as fetch does', async () => {
    const server = await startServer((request, body, response) => {
      const status = Number(request.url?.slice(1));
      if (status >= 300) response.writeHead(status, { location: '/end' }).end();
      else response.end(echoOf(request, body));
    });
    for (const status of [301, 302, 303]) {
      const seen = await jsonOf(
        await nodeFetch(
          `${server.url}/${status}`,
          post('{"x":1}', { 'inference-header-content-length': '7' }),
        ),
      );
      expect(seen).toMatchObject({ method: 'GET', url: '/end', body: '' });
      expect(seen.headers).not.toHaveProperty('content-type');
      expect(seen.headers).not.toHaveProperty('inference-header-content-length');
    }
  });

  it('drops credentials on a redirect to another origin, keeps them on the same origin', async () => {
    const other = await startServer((request, body, response) =>
      response.end(echoOf(request, body)),
    );
    const server = await startServer((request, body, response) => {
      if (request.url === '/away') response.writeHead(307, { location: `${other.url}/x` }).end();
      else if (request.url === '/here') response.writeHead(307, { location: '/x' }).end();
      else response.end(echoOf(request, body));
    });
    const headers = { authorization: 'Bearer t', cookie: 'c=1', 'x-keep': 'k' };
    const away = await jsonOf(await nodeFetch(`${server.url}/away`, post('{}', headers)));
    expect(away.headers).not.toHaveProperty('authorization');
    expect(away.headers).not.toHaveProperty('cookie');
    expect(away.headers).toMatchObject({ 'x-keep': 'k' });
    const here = await jsonOf(await nodeFetch(`${server.url}/here`, post('{}', headers)));
    expect(here.headers).toMatchObject({ authorization: 'Bearer t', cookie: 'c=1' });
  });

  it('gives up after 20 redirects', async () => {
    const server = await startServer((_request, _body, response) =>
      response.writeHead(302, { location: '/again' }).end(),
    );
    await expect(nodeFetch(server.url, { method: 'GET' })).rejects.toThrow(
      'more than 20 redirects',
    );
  });

  it('answers a 3xx without a location as it is', async () => {
    const server = await startServer((_request, _body, response) => response.writeHead(304).end());
    expect((await nodeFetch(server.url, { method: 'GET' })).status).toBe(304);
  });

  /**
   * A server that resets the connection of its second request, which arrives on the first
   * connection (kept alive): as a server that closed the idle connection just then would, or
   * one that read the whole request (and may have run it) before it reset.
   */
  async function resettingSecondRequest() {
    let requests = 0;
    const server = await startServer((request, body, response) => {
      requests += 1;
      if (requests === 2) request.socket.resetAndDestroy();
      else response.end(echoOf(request, body));
    });
    return { server, requests: () => requests };
  }

  it('tries a GET once more on a new connection when its kept-alive one is reset on reuse', async () => {
    const { server, requests } = await resettingSecondRequest();
    expect((await nodeFetch(server.url, { method: 'GET' })).status).toBe(200);
    const again = await nodeFetch(`${server.url}/again`, { method: 'GET' });
    expect(await jsonOf(again)).toMatchObject({ url: '/again' });
    expect(requests()).toBe(3);
    expect(server.connections()).toBe(2);
  });

  it('never sends a POST twice: a reset on a reused connection rejects', async () => {
    const { server, requests } = await resettingSecondRequest();
    expect((await nodeFetch(server.url, post('{}'))).status).toBe(200);
    await expect(nodeFetch(server.url, post('{"n":2}'))).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    expect(requests()).toBe(2);
  });

  it('ends a call when the server sends nothing for the stall limit', async () => {
    const server = await startServer((request, _body, response) => {
      if (request.url === '/mid-body') {
        response.writeHead(200, { 'content-length': '10' });
        response.write('12345');
      }
    });
    const quick = createNodeFetch({ stallMs: 150 });
    await expect(quick(`${server.url}/silent`, { method: 'GET' })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
    await expect(quick(`${server.url}/mid-body`, { method: 'GET' })).rejects.toThrow();
  });

  it('rejects a reset on a new connection (no retry there)', async () => {
    const server = await startServer((request) => request.socket.resetAndDestroy());
    await expect(nodeFetch(server.url, post('{}'))).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('rejects an answer cut off before its end', async () => {
    const server = await startServer((_request, _body, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('only ten..');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    await expect(nodeFetch(server.url, { method: 'GET' })).rejects.toThrow();
  });

  it('stops on its signal, before or during the answer', async () => {
    const server = await startServer((_request, _body, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial');
    });
    const controller = new AbortController();
    const pending = nodeFetch(server.url, { method: 'GET', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(
      nodeFetch(server.url, { method: 'GET', signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('speaks HTTPS, verifying the certificate as fetch does', async () => {
    const tls = (name: string) => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url));
    const server = createHttpsServer(
      { key: tls('key.pem'), cert: tls('cert.pem') },
      (request, response) =>
        response.end(JSON.stringify({ method: request.method, url: request.url })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/tls`;
    try {
      // The fixture is self-signed: refused unless verification is turned off.
      await expect(nodeFetch(url, { method: 'GET' })).rejects.toMatchObject({
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
      vi.stubEnv('NODE_TLS_REJECT_UNAUTHORIZED', '0');
      const response = await nodeFetch(url, { method: 'GET' });
      expect(await jsonOf(response)).toEqual({ method: 'GET', url: '/tls' });
    } finally {
      vi.unstubAllEnvs();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a URL that is not http: or https:', async () => {
    await expect(nodeFetch('ftp://127.0.0.1/x', { method: 'GET' })).rejects.toThrow(
      'only http: and https: URLs',
    );
  });
});

describe('createClient in Node', () => {
  let server: InferServer;
  beforeAll(async () => {
    const echo = defineModel({
      name: 'echo',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
      predict: (request) => [{ ...request.inputs[0]!, name: 'y' }],
    });
    server = await serve({ models: [echo], port: 0, host: '127.0.0.1' });
  });
  afterAll(() => server.close());

  it('sends with node:http unless given a fetch, JSON and binary alike', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const client = createClient({ baseUrl: server.url });
    const small = new Float32Array([1, 2, 3]);
    const large = Float32Array.from({ length: 4096 }, (_, i) => i / 7);
    expect((await client.model('echo').infer({ x: small })).outputs.y?.data).toEqual(small);
    expect((await client.model('echo').infer({ x: large })).outputs.y?.data).toEqual(large);
    expect(await client.ready()).toBe(true);
    expect(fetchSpy).not.toHaveBeenCalled();
    const viaFetch = createClient({ baseUrl: server.url, fetch: globalThis.fetch });
    expect((await viaFetch.model('echo').infer({ x: small })).outputs.y?.data).toEqual(small);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  it('reports a refused connection as INFER_CLIENT_ERR_NETWORK naming the cause', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const error = await createClient({ baseUrl: closed.url })
      .live()
      .catch((caught: unknown) => caught);
    expect(InferClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_NETWORK' });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});

describe('the package in Node', () => {
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  const resolveIn = (type: 'module' | 'commonjs') =>
    execFileSync(
      process.execPath,
      [
        `--input-type=${type}`,
        '-e',
        type === 'module'
          ? "console.log(import.meta.resolve('@infer/client'))"
          : "console.log(require.resolve('@infer/client'))",
      ],
      { cwd: packageDir, encoding: 'utf8' },
    ).trim();

  it('resolves @infer/client to the node entry, import and require alike', () => {
    expect(resolveIn('module')).toMatch(/\/dist\/node\.js$/);
    expect(resolveIn('commonjs')).toMatch(/\/dist\/node\.cjs$/);
  });

  it('gives a browser bundler the fetch entry, with no Node built-in', async () => {
    // esbuild comes with tsup, as in bundle-size.test.ts.
    const requireFromTsup = createRequire(createRequire(import.meta.url).resolve('tsup'));
    const { build } = requireFromTsup('esbuild') as typeof import('esbuild');
    const result = await build({
      stdin: { contents: "export { createClient } from '@infer/client';", resolveDir: packageDir },
      absWorkingDir: packageDir,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('dist/index.js');
    expect(inputs.filter((path) => /^dist\/node\.|^node:|^(http|https|zlib)$/.test(path))).toEqual(
      [],
    );
  });
});
