/**
 * Graceful shutdown under load: with requests running and queued on a slowish model, and one
 * still uploading its body, `close()` turns readiness false at once (the listener stops
 * accepting, so a probe on a new connection is refused), then every accepted request is
 * answered (200, or for the one whose body was still arriving a 503 JSON answer, never a
 * reset), and new requests are refused. Only then does `close()` resolve.
 */
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionCount,
  errorBodyProblem,
  HttpClient,
  jsonOf,
  portOf,
  rawSocket,
  sleep,
  slowModel,
  startServer,
  waitUntil,
  xBody,
} from './helpers';

const IN_FLIGHT = 12;
let server: InferServer;
/** Rows handed to the model so far (a request is either handed over or queued). */
let rowsRun = 0;

beforeAll(async () => {
  server = await startServer({
    shutdownGraceMs: 10_000,
    models: [
      slowModel('slowish', {
        delayMs: 250,
        maxBatchSize: 4,
        onCall: (request) => {
          rowsRun += request.inputs[0]!.shape[0]!;
        },
      }),
    ],
  });
}, 30_000);

afterAll(async () => {
  await server?.close();
}, 30_000);

describe('close() under load', () => {
  it('readiness first, then every accepted request finishes, then nothing new is accepted', async () => {
    const url = server.url;
    const port = portOf(server);
    const client = new HttpClient(url, { maxSockets: IN_FLIGHT });
    const probe = new HttpClient(url);
    expect((await probe.send({ path: '/v2/health/ready' })).status).toBe(200);
    probe.close();

    let lastAnswerAt = 0;
    // When the server finished writing each answer (the client reads it a little later).
    let lastWrittenAt = 0;
    server.server.on('request', (_request, response) => {
      response.once('finish', () => {
        lastWrittenAt = performance.now();
      });
    });
    const inFlight = Array.from({ length: IN_FLIGHT }, (_, k) =>
      client.post('/v2/models/slowish/infer', xBody([k])).then((answer) => {
        lastAnswerAt = performance.now();
        return answer;
      }),
    );
    // A request whose body is still arriving when close() begins.
    const body = Buffer.from(JSON.stringify(xBody([99])));
    const uploading = await rawSocket(port);
    uploading.write(
      `POST /v2/models/slowish/infer HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
        `content-length: ${body.length}\r\n\r\n`,
    );
    uploading.write(body.subarray(0, 10));
    const served = server.repository.get('slowish');
    // All accepted: running or queued, none answered yet (a batch takes 250 ms).
    expect(await waitUntil(() => rowsRun + served.queueLength === IN_FLIGHT, 5_000)).toBe(true);
    expect(served.queueLength).toBeGreaterThan(0);

    const closeStarted = performance.now();
    const closing = server.close();
    let closedAt = 0;
    void closing.then(() => {
      closedAt = performance.now();
    });
    // Readiness is false at once, and the listener refuses new connections.
    expect(server.service.ready).toBe(false);
    const refused = await new HttpClient(url)
      .send({ path: '/v2/health/ready' })
      .then((answer) => `status ${answer.status}`)
      .catch((error: NodeJS.ErrnoException) => error.code);
    expect(['ECONNREFUSED', 'ECONNRESET', 'status 503']).toContain(refused);

    // The upload finishes after close() began: answered (not reset), as a JSON 503.
    uploading.write(body.subarray(10));
    expect(await waitUntil(() => uploading.received().includes('\r\n\r\n{'), 5_000)).toBe(true);
    const late = uploading.received().toString();
    expect(late).toMatch(/^HTTP\/1\.1 (200|503) /);
    if (late.startsWith('HTTP/1.1 503')) expect(late).toMatch(/"error":/);

    const answers = await Promise.all(inFlight);
    for (const [k, answer] of answers.entries()) {
      expect(answer.status, answer.body.toString()).toBe(200);
      expect((jsonOf(answer) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([k]);
    }
    // The clients are done: they close their keep-alive connections (see the next test for
    // what happens when they do not).
    client.close();
    uploading.destroy();
    await closing;
    console.info(
      `shutdown: close() took ${(performance.now() - closeStarted).toFixed(0)} ms; ` +
        `last accepted request answered at +${(lastAnswerAt - closeStarted).toFixed(0)} ms`,
    );
    // close() resolved only after the server had written the last accepted answer.
    expect(lastWrittenAt).toBeGreaterThan(0);
    expect(closedAt).toBeGreaterThanOrEqual(lastWrittenAt);
    expect(served.state).toBe('closed');
    expect(await connectionCount(server.server)).toBe(0);

    // After close: refused.
    const after = await new HttpClient(url)
      .post('/v2/models/slowish/infer', xBody([1]))
      .then((answer) => ({ status: answer.status, problem: errorBodyProblem(answer) }))
      .catch((error: NodeJS.ErrnoException) => error.code);
    expect(after).toBe('ECONNREFUSED');
  }, 30_000);

  it('close() resolves soon after the last in-flight answer, not a keep-alive timeout later', async () => {
    const other = await startServer({
      shutdownGraceMs: 10_000,
      models: [slowModel('slowish', { delayMs: 200, maxBatchSize: 4 })],
    });
    const client = new HttpClient(other.url, { maxSockets: 4 });
    try {
      let lastAnswerAt = 0;
      const inFlight = [1, 2, 3, 4].map((k) =>
        client.post('/v2/models/slowish/infer', xBody([k])).then((answer) => {
          lastAnswerAt = performance.now();
          return answer;
        }),
      );
      await sleep(50);
      const closing = other.close();
      const answers = await Promise.all(inFlight);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
      // Accepted before close(), answered after it: each tells its client the connection ends.
      expect(answers.map((answer) => answer.headers.connection)).toEqual([
        'close',
        'close',
        'close',
        'close',
      ]);
      await closing;
      expect(performance.now() - lastAnswerAt).toBeLessThan(1_500);
    } finally {
      client.close();
      await other.close();
    }
  }, 30_000);
});
