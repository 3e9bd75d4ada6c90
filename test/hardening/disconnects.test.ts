/**
 * Slow clients and clients that go away mid-request, on raw sockets: a body trickled in
 * chunks is served (and does not hold up others); a client that disconnects halfway through
 * its body, while its request runs, or while it waits in the queue leaves nothing behind: no
 * queue entry (`ServedModel.queueLength` 0), no open connection (`server.getConnections`
 * back to 0), and the model's `signal` aborted for the abandoned request.
 */
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionCount,
  echoBody,
  echoModel,
  HttpClient,
  portOf,
  rawSocket,
  sleep,
  slowModel,
  startServer,
  waitUntil,
  xBody,
} from './helpers';

let server: InferServer;
let echoCalls = 0;
const slowCalls: { value: number; signal: AbortSignal | undefined }[] = [];

beforeAll(async () => {
  server = await startServer({
    models: [
      echoModel('echo', { onPredict: () => echoCalls++ }),
      slowModel('slow', {
        delayMs: 3_000,
        timeoutMs: 20_000,
        onCall: (request, signal) => {
          const data = request.inputs[0]!.data as Float32Array;
          slowCalls.push({ value: data[0]!, signal });
        },
      }),
    ],
  });
}, 30_000);

afterAll(async () => {
  await server?.close();
}, 30_000);

/** The request line and headers of a JSON POST of `length` bytes. */
function head(path: string, length: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
    `content-length: ${length}\r\n\r\n`
  );
}

async function expectNothingLeft(): Promise<void> {
  expect(await waitUntil(async () => (await connectionCount(server.server)) === 0, 3_000)).toBe(
    true,
  );
  expect(server.repository.get('echo').queueLength).toBe(0);
  expect(server.repository.get('slow').queueLength).toBe(0);
  // And the server still serves.
  const client = new HttpClient(server.url);
  const answer = await client.post('/v2/models/echo/infer', echoBody(9));
  client.close();
  expect(answer.status).toBe(200);
}

describe('slow clients', () => {
  it('a body trickled in 8 chunks over ~0.5 s is served, and others are served meanwhile', async () => {
    const body = Buffer.from(JSON.stringify(echoBody(4)));
    const socket = await rawSocket(portOf(server));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(head('/v2/models/echo/infer', body.length));
    const step = Math.ceil(body.length / 8);
    const other = new HttpClient(server.url);
    for (let offset = 0; offset < body.length; offset += step) {
      socket.write(body.subarray(offset, offset + step));
      if (offset === step * 2) {
        // Mid-upload, another client gets its answer at once.
        const answer = await other.post('/v2/models/echo/infer', echoBody(5));
        expect(answer.status).toBe(200);
        expect(answer.ms).toBeLessThan(1_000);
      }
      await sleep(60);
    }
    other.close();
    expect(await waitUntil(() => socket.received().includes('\r\n\r\n{'), 3_000)).toBe(true);
    const text = socket.received().toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text).toContain('"row 0 of 4"');
    socket.end();
    await closed;
    await expectNothingLeft();
  });
});

describe('disconnects mid-request', () => {
  it('headers and half the body, then gone: nothing reaches the model, nothing is left', async () => {
    const calls = echoCalls;
    const body = Buffer.from(JSON.stringify(echoBody(6)));
    for (let k = 0; k < 5; k++) {
      const socket = await rawSocket(portOf(server));
      socket.write(head('/v2/models/echo/infer', body.length));
      socket.write(body.subarray(0, body.length >> 1));
      await sleep(30);
      socket.destroy();
    }
    await expectNothingLeft();
    expect(echoCalls).toBe(calls + 1); // only expectNothingLeft's own request
  });

  it('a full request to a slow model, then gone before the answer: the model sees the abort', async () => {
    const body = Buffer.from(JSON.stringify(xBody([101])));
    const socket = await rawSocket(portOf(server));
    socket.write(head('/v2/models/slow/infer', body.length));
    socket.write(body);
    expect(await waitUntil(() => slowCalls.some((call) => call.value === 101), 3_000)).toBe(true);
    const call = slowCalls.find((entry) => entry.value === 101)!;
    expect(call.signal?.aborted).toBe(false);
    const destroyedAt = performance.now();
    socket.destroy();
    expect(await waitUntil(() => call.signal?.aborted === true, 2_000)).toBe(true);
    expect(performance.now() - destroyedAt).toBeLessThan(2_000);
    await expectNothingLeft();
  });

  it('requests waiting in the queue, then gone: they leave the queue and never run', async () => {
    // One request keeps the slow model busy (its own client stays).
    const keeper = new HttpClient(server.url);
    const running = keeper.post('/v2/models/slow/infer', xBody([200]));
    expect(await waitUntil(() => slowCalls.some((call) => call.value === 200), 3_000)).toBe(true);
    const sockets = [];
    for (const value of [201, 202, 203, 204]) {
      const body = Buffer.from(JSON.stringify(xBody([value])));
      const socket = await rawSocket(portOf(server));
      socket.write(head('/v2/models/slow/infer', body.length) + body.toString());
      sockets.push(socket);
    }
    const served = server.repository.get('slow');
    expect(await waitUntil(() => served.queueLength === 4, 3_000)).toBe(true);
    for (const socket of sockets) socket.destroy();
    expect(await waitUntil(() => served.queueLength === 0, 1_000)).toBe(true);
    const answer = await running;
    expect(answer.status).toBe(200);
    keeper.close();
    await sleep(50);
    expect(slowCalls.filter((call) => call.value > 200)).toEqual([]);
    await expectNothingLeft();
  }, 20_000);
});
