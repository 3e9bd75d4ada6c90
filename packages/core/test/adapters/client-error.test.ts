import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { InferenceService, type InferServer, ModelRepository, serve } from '@infer/core';
import { createNodeHandler, handleClientErrors } from '@infer/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoModel } from '../helpers/echo-model';
import { listen } from './listen';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/** Writes raw bytes to host:port and reads until the server closes (or 5 s pass). */
function rawExchange(url: string, payload: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      finish(false);
    }, 5_000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, closed });
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset after answering; what was read still counts.
      if (chunks.length === 0) reject(error);
    });
    socket.write(payload);
  });
}

function expectJsonError(answer: RawAnswer, status: number, message: RegExp) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  expect(JSON.parse(answer.body)).toEqual({ error: expect.stringMatching(message) });
  expect(answer.closed).toBe(true);
}

const cases = [
  {
    name: 'garbage instead of a request line is 400',
    payload: 'NOT HTTP AT ALL\r\n\r\n',
    status: 400,
    message: /malformed HTTP request/i,
  },
  {
    name: 'an oversized header is 431',
    payload: `GET /v2 HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    status: 431,
    message: /header fields too large/i,
  },
  {
    name: 'an invalid header line is 400',
    payload: 'GET /v2 HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n',
    status: 400,
    message: /malformed HTTP request/i,
  },
  {
    name: 'an Expect other than 100-continue is 417',
    payload: 'POST /v2 HTTP/1.1\r\nhost: x\r\nexpect: teapot\r\ncontent-length: 0\r\n\r\n',
    status: 417,
    message: /expectation failed/i,
  },
] as const;

const echo = echoModel;

describe('serve(): malformed HTTP gets a JSON answer and a closed connection', () => {
  let server: InferServer;
  beforeAll(async () => {
    server = await serve({ models: [echo()], port: 0 });
  });
  afterAll(() => server.close());

  for (const testCase of cases) {
    it(testCase.name, async () => {
      const answer = await rawExchange(server.url, testCase.payload);
      expectJsonError(answer, testCase.status, testCase.message);
    });
  }

  it('keeps serving afterwards', async () => {
    await rawExchange(server.url, 'GARBAGE\r\n\r\n');
    const response = await fetch(`${server.url}/v2/health/live`);
    expect(response.status).toBe(200);
  });

  it('answers a bad request pipelined behind a good one with one clean JSON 400', async () => {
    // The parser reads both before the first answer is written (as node:http itself does,
    // the 400 then stands for the connection); what comes back must be one whole response.
    const answer = await rawExchange(
      server.url,
      'GET /v2/health/live HTTP/1.1\r\nhost: x\r\n\r\nGARBAGE\r\n\r\n',
    );
    expectJsonError(answer, 400, /malformed HTTP request/i);
  });
});

describe('handleClientErrors() on a plain node:http server (@infer/core/node)', () => {
  let http: Server;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const repository = new ModelRepository().add(echo());
    await repository.loadAll();
    const service = new InferenceService({ repository });
    http = createServer(createNodeHandler(service));
    handleClientErrors(http);
    ({ url, close } = await listen(http));
  });
  afterAll(() => close());

  for (const testCase of cases) {
    it(testCase.name, async () => {
      const answer = await rawExchange(url, testCase.payload);
      expectJsonError(answer, testCase.status, testCase.message);
    });
  }

  it('answers plain node:http text without it (what the helper fixes)', async () => {
    const bare = createServer(() => {});
    const started = await listen(bare);
    try {
      const answer = await rawExchange(started.url, 'NOT HTTP AT ALL\r\n\r\n');
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBeUndefined();
    } finally {
      await started.close();
    }
  });
});
