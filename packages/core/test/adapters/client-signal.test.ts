import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { attachClientSignal, ClientSignal, clientSignalOf } from '../../src/adapters/client-signal';
import { createNodeHandler } from '../../src/adapters/node';
import type { ServiceRequest } from '../../src/adapters/service-contract';
import { InferenceService } from '../../src/inference-service';
import { ModelRepository } from '../../src/model-repository';

const serviceRequest = (): ServiceRequest => ({ method: 'POST', path: '/v2', headers: {} });
/** A handler of its own: it may read or copy `request.signal`. */
const custom = { handle: async () => ({ status: 200, headers: {}, body: '' }) };

describe('client signal of an adapter request', () => {
  it('reads as a real AbortSignal that aborts with the client, listeners called once', () => {
    const client = new ClientSignal();
    const request = serviceRequest();
    attachClientSignal(request, client, custom);
    const calls: string[] = [];
    const gone = () => calls.push('gone');
    const removed = () => calls.push('removed');
    clientSignalOf(request)!.addEventListener('abort', gone);
    clientSignalOf(request)!.addEventListener('abort', removed);
    clientSignalOf(request)!.removeEventListener('abort', removed);
    const { signal } = request;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal!.aborted).toBe(false);
    const reason = new DOMException('left', 'AbortError');
    client.abort(reason);
    client.abort(new Error('twice'));
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBe(reason);
    expect(calls).toEqual(['gone']);
    expect(clientSignalOf(request)!.reason).toBe(reason);
  });

  it('made after the client left, the signal is already aborted', () => {
    const client = new ClientSignal();
    const request = serviceRequest();
    attachClientSignal(request, client, custom);
    client.abort('gone');
    expect(request.signal!.aborted).toBe(true);
    expect(request.signal!.reason).toBe('gone');
  });

  it('a signal assigned by a handler, or carried by a copy, is the one honoured', () => {
    const client = new ClientSignal();
    const request = serviceRequest();
    attachClientSignal(request, client, custom);
    expect(clientSignalOf(request)).toBe(client);
    const copy = { ...request };
    expect(copy.signal).toBeInstanceOf(AbortSignal);
    expect(clientSignalOf(copy)).toBe(copy.signal);
    const own = new AbortController().signal;
    request.signal = own;
    expect(request.signal).toBe(own);
    expect(clientSignalOf(request)).toBe(own);
    client.abort('gone');
    expect(own.aborted).toBe(false);
    expect(copy.signal!.aborted).toBe(true);
  });
});

describe('client signal for an InferenceService', () => {
  const service = () => new InferenceService({ repository: new ModelRepository() });

  it('makes no request.signal for an InferenceService: it listens to the client itself', () => {
    const client = new ClientSignal();
    const request = serviceRequest();
    attachClientSignal(request, client, service());
    expect(Object.hasOwn(request, 'signal')).toBe(false);
    expect(clientSignalOf(request)).toBe(client);
  });

  it('makes request.signal for a prototype handle() wrapped before the service was made', () => {
    const original = InferenceService.prototype.handle;
    // What instrumentation does: wrap the class's method before the app makes its service.
    InferenceService.prototype.handle = function (this: InferenceService, request) {
      return original.call(this, request);
    };
    try {
      const request = serviceRequest();
      attachClientSignal(request, new ClientSignal(), service());
      expect(request.signal).toBeInstanceOf(AbortSignal);
    } finally {
      InferenceService.prototype.handle = original;
    }
  });

  it('makes request.signal again when handle() is overridden or replaced', () => {
    class Logged extends InferenceService {
      override handle(request: ServiceRequest) {
        return super.handle(request);
      }
    }
    const replaced = service();
    const own = replaced.handle.bind(replaced);
    replaced.handle = (request) => own(request);
    for (const handler of [new Logged({ repository: new ModelRepository() }), replaced]) {
      const request = serviceRequest();
      attachClientSignal(request, new ClientSignal(), handler);
      expect(request.signal).toBeInstanceOf(AbortSignal);
    }
  });
});

describe('node adapter: request.signal for a custom handler', () => {
  const seen: AbortSignal[] = [];
  let aborted: () => void = () => {};
  const abortedOnce = new Promise<void>((resolve) => {
    aborted = resolve;
  });
  const server = createServer(
    createNodeHandler({
      handle: async (request) => {
        const signal = request.signal!;
        seen.push(signal);
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        aborted();
        return { status: 200, headers: {}, body: '' };
      },
    }),
  );
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is a real AbortSignal, aborted when the client disconnects', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/v2' });
    client.on('error', () => {});
    client.end('{}');
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(seen[0]).toBeInstanceOf(AbortSignal);
    expect(seen[0]!.aborted).toBe(false);
    client.destroy();
    await abortedOnce;
    expect(seen[0]!.aborted).toBe(true);
    expect((seen[0]!.reason as DOMException).name).toBe('AbortError');
  });
});

describe('node adapter: one connection, many requests', () => {
  /** A server whose handler keeps each request's signal and answers when `release` says. */
  function start(hold: (path: string) => Promise<void>) {
    const signals = new Map<string, AbortSignal>();
    const server = createServer(
      createNodeHandler({
        handle: async (request) => {
          signals.set(request.path, request.signal!);
          await hold(request.path);
          return { status: 200, headers: {}, body: request.path };
        },
      }),
    );
    return { server, signals };
  }

  /** Sends raw HTTP/1.1 on one socket; resolves with the socket and what it received so far. */
  async function connect(server: ReturnType<typeof createServer>) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const socket = netConnect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    socket.on('error', () => {});
    const post = (path: string) =>
      socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}`);
    return { socket, post, received: () => received };
  }

  it('answered requests are not aborted when their keep-alive connection closes later', async () => {
    const { server, signals } = start(async () => {});
    try {
      const client = await connect(server);
      client.post('/v2/a');
      await vi.waitFor(() => expect(client.received()).toContain('/v2/a'));
      client.post('/v2/b');
      await vi.waitFor(() => expect(client.received()).toContain('/v2/b'));
      client.socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(signals.get('/v2/a')!.aborted).toBe(false);
      expect(signals.get('/v2/b')!.aborted).toBe(false);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a connection that closes aborts the request in flight on it, not the answered one', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { server, signals } = start((path) => (path === '/v2/held' ? held : Promise.resolve()));
    try {
      const client = await connect(server);
      client.post('/v2/done');
      await vi.waitFor(() => expect(client.received()).toContain('/v2/done'));
      client.post('/v2/held');
      await vi.waitFor(() => expect(signals.has('/v2/held')).toBe(true));
      client.socket.destroy();
      await vi.waitFor(() => expect(signals.get('/v2/held')!.aborted).toBe(true));
      expect((signals.get('/v2/held')!.reason as DOMException).name).toBe('AbortError');
      expect(signals.get('/v2/done')!.aborted).toBe(false);
    } finally {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
