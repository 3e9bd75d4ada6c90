/**
 * The transport floor of `serving-floor.bench.ts`: a bare `node:http` server that does only
 * what any HTTP model server must do with a request, and nothing an inference server adds.
 * It reads the whole body (the same chunks-then-`Buffer.concat` a framework's raw body
 * does), checks its length against `content-length`, and answers a fixed response: the
 * bytes and headers `serve()` answered for the same request, sent by the parent with the
 * `answer` command. No decoding, no model, no worker.
 *
 * Run: `node benchmarks/http-floor-server.mjs` as a child of the bench (IPC, see
 * `lib/server-child.mjs`).
 */
import http from 'node:http';
import { reportReady } from './lib/server-child.mjs';

let answer = {
  status: 503,
  headers: { 'content-type': 'text/plain' },
  body: Buffer.from('no answer set'),
};

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const expected = Number(request.headers['content-length']);
    if (body.byteLength !== expected) {
      response.writeHead(400).end(`read ${body.byteLength} of ${expected} bytes`);
      return;
    }
    response.writeHead(answer.status, answer.headers).end(answer.body);
  });
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
reportReady(server, {
  answer: async ({ status, headers, body }) => {
    answer = { status, headers, body: Buffer.from(body, 'base64') };
    return {};
  },
});
