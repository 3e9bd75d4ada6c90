/**
 * A client that leaves before the adapter gets to its request (an async middleware or hook
 * ran first, a body waited to be decoded): the read must fail at once and the client signal
 * must start aborted, instead of waiting for events that were already emitted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { inferPlugin } from '../../src/adapters/fastify';
import { abortSignalOf, handleNodeRequest, watchClient } from '../../src/adapters/node';
import { readNodeBody } from '../../src/adapters/read-body';
import type { ServiceRequest } from '../../src/adapters/service-contract';

const BODY = '{"inputs":[]}';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A node server whose handler runs `handle` once the client has disconnected. */
async function afterClientLeft(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  { sendBody = true }: { sendBody?: boolean } = {},
): Promise<void> {
  let settled!: () => void;
  const done = new Promise<void>((resolve) => {
    settled = resolve;
  });
  const server = createServer((request, response) => {
    // What an async middleware does: the adapter runs later, the client is gone by then.
    response.once('close', () => {
      setTimeout(() => {
        handle(request, response).then(settled, settled);
      }, 20);
    });
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(
    `POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${BODY.length}\r\n\r\n${sendBody ? BODY : BODY.slice(0, 5)}`,
  );
  setTimeout(() => socket.destroy(), 50);
  await done;
}

describe('a request whose client left before the adapter read it', () => {
  it('reading its body fails at once and leaves no listener behind', async () => {
    let outcome: unknown;
    let listeners = -1;
    await afterClientLeft(
      async (request) => {
        outcome = await readNodeBody(request, 1024).then(
          () => 'read',
          (error: Error) => error.message,
        );
        listeners = request.listenerCount('data') + request.listenerCount('end');
      },
      { sendBody: false },
    );
    expect(outcome).toBe('the client aborted the request body');
    expect(listeners).toBe(0);
  });

  it('handleNodeRequest settles without calling the service', async () => {
    let calls = 0;
    const service = {
      handle: async () => {
        calls += 1;
        return { status: 200, headers: {}, body: '' };
      },
    };
    await afterClientLeft(
      (request, response) =>
        handleNodeRequest(service, request, response, {
          path: '/v2/models/m/infer',
          maxBodySize: 1024,
        }),
      { sendBody: false },
    );
    expect(calls).toBe(0);
  });

  it('its client signal, made late, starts aborted (watchClient and abortSignalOf)', async () => {
    let client: { aborted: boolean } | undefined;
    let signal: AbortSignal | undefined;
    await afterClientLeft(async (_request, response) => {
      client = watchClient(response);
      signal = abortSignalOf(response);
    });
    expect(client?.aborted).toBe(true);
    expect(signal?.aborted).toBe(true);
  });
});

describe('Fastify plugin behind a slow async hook', () => {
  it('the service gets an aborted signal when the client left during the hook', async () => {
    const seen: boolean[] = [];
    const service = {
      handle: async (request: ServiceRequest) => {
        seen.push(request.signal?.aborted === true);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
      },
    };
    const app = Fastify();
    await app.register(async (scope) => {
      scope.addHook('preHandler', async () => {
        await new Promise((resolve) => setTimeout(resolve, 150));
      });
      await scope.register(inferPlugin, { service });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    const socket = connect((app.server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${BODY.length}\r\n\r\n${BODY}`,
    );
    setTimeout(() => socket.destroy(), 50);
    await expect.poll(() => seen.length, { timeout: 2000 }).toBe(1);
    expect(seen[0]).toBe(true);
  });
});
