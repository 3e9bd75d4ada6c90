/**
 * What the node adapter puts on the wire beyond the shared conformance suite: answers keep a
 * Content-Length for clients node:http would not give one (HTTP/1.0 keep-alive), and a body
 * read ends however the request goes away.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createNodeHandler, handleNodeRequest } from '@infer/core/node';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Reads from `socket` until `text` holds one whole answer (head and Content-Length body). */
function readAnswer(socket: Socket): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = text.slice(0, end);
      const length = /\r\ncontent-length: (\d+)/i.exec(head);
      if (length === null) {
        socket.off('data', onData);
        resolve({ head, body: text.slice(end + 4) });
        return;
      }
      const body = text.slice(end + 4);
      if (body.length < Number(length[1])) return;
      socket.off('data', onData);
      resolve({ head, body });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

const service = {
  handle: async () => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: '{"live":true}',
  }),
};

describe('node adapter on the wire', () => {
  it('gives an HTTP/1.0 keep-alive client a Content-Length and keeps its connection', async () => {
    const port = await listen(createNodeHandler(service));
    const socket = connect(port, '127.0.0.1');
    try {
      const ask = 'GET /v2/health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n';
      socket.write(ask);
      const first = await readAnswer(socket);
      expect(first.head).toMatch(/\r\ncontent-length: 13\r\n/i);
      expect(first.head).toMatch(/\r\nconnection: keep-alive\r\n/i);
      expect(first.body).toBe('{"live":true}');
      socket.write(ask);
      const second = await readAnswer(socket);
      expect(second.body).toBe('{"live":true}');
    } finally {
      socket.destroy();
    }
  });

  it('routes a request target in absolute form (RFC 9112 3.2.2), under a prefix too', async () => {
    const paths: string[] = [];
    const seen = {
      handle: async (request: { path: string }) => {
        paths.push(request.path);
        return service.handle();
      },
    };
    for (const prefix of ['', '/ml']) {
      const port = await listen(createNodeHandler(seen, { prefix }));
      const socket = connect(port, '127.0.0.1');
      try {
        socket.write(
          `GET http://localhost:${port}${prefix}/v2/health/live?x=1 HTTP/1.1\r\nHost: x\r\n\r\n`,
        );
        const answer = await readAnswer(socket);
        expect(answer.head).toMatch(/^HTTP\/1\.1 200 /);
        expect(answer.body).toBe('{"live":true}');
      } finally {
        socket.destroy();
      }
    }
    expect(paths).toEqual(['/v2/health/live?x=1', '/v2/health/live?x=1']);
  });

  it('ends the body read of a request destroyed mid-body without an error', async () => {
    let settled: Promise<void> | undefined;
    let reached = false;
    const port = await listen((request, response) => {
      // Whoever holds the request (a middleware, a timeout) destroys it once part of the
      // body has arrived, with no error: node emits 'aborted' and 'close' only.
      request.once('data', () => request.destroy());
      settled = handleNodeRequest(
        {
          handle: async () => {
            reached = true;
            return { status: 200, headers: {}, body: '' };
          },
        },
        request,
        response,
        { path: '/v2/models/m/infer', maxBodySize: 1024 },
      );
    });
    const socket = connect(port, '127.0.0.1');
    try {
      socket.write(
        'POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100\r\n\r\n{"inputs":',
      );
      await expect.poll(() => settled !== undefined).toBe(true);
      const outcome = await Promise.race([
        settled!.then(() => 'settled'),
        new Promise((resolve) => setTimeout(() => resolve('still reading'), 2000)),
      ]);
      expect(outcome).toBe('settled');
      expect(reached).toBe(false);
    } finally {
      socket.destroy();
    }
  });
});

describe('serve() and Expect: 100-continue', () => {
  it('refuses a body declared over the limit with 413 before the client sends it', async () => {
    const { serve } = await import('@infer/core');
    const server = await serve({ models: [], port: 0, maxBodySize: 1024 });
    const { port } = new URL(server.url);
    try {
      const ask = (length: number) => {
        const socket = connect(Number(port), '127.0.0.1');
        socket.write(
          'POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
            `Expect: 100-continue\r\nContent-Length: ${length}\r\n\r\n`,
        );
        return socket;
      };
      const big = ask(10_000);
      const refused = await readAnswer(big);
      big.destroy();
      expect(refused.head).toMatch(/^HTTP\/1\.1 413 /);
      expect(JSON.parse(refused.body)).toEqual({ error: expect.stringMatching(/1024 bytes/) });
      const small = ask(2);
      const interim = await new Promise<string>((resolve) =>
        small.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))),
      );
      expect(interim).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
      small.write('{}');
      const answered = await readAnswer(small);
      small.destroy();
      // No model "m": the request was read and routed.
      expect(answered.head).toMatch(/^HTTP\/1\.1 404 /);
    } finally {
      await server.close();
    }
  });
});
