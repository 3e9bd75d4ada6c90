/**
 * The least server of `serving-floor.bench.ts`: the simplest Node server that really does
 * the job, so the bench can measure, rather than estimate, how much of the ceiling any Node
 * HTTP server reaches on a machine. Per request it reads the body into a buffer of its
 * `Content-Length` that the next request reuses once the model has run (no body-sized
 * garbage per request, as `serve()` reads bodies into pooled buffers), parses the binary tensor extension's JSON header, runs MobileNet on the
 * tensor bytes in place (`session.run`, batch 1, a 1-thread session on the main thread), and
 * answers the output as a binary OIP response. Nothing else: no validation beyond the
 * header, no batching, no worker thread, no metrics, no error handling a real server needs
 * (anything but a POST with a `Content-Length` of at most 64 MiB gets a 404, 411 or 413).
 *
 * One process per core this process may use (`os.availableParallelism()`), as the ceiling
 * runs one 1-thread session per core: on more than one core, under `node:cluster`
 * (`lib/cluster-primary.mjs`).
 *
 * Run: `node benchmarks/least-server.mjs` as a child of the bench (IPC, see
 * `lib/server-child.mjs`).
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startClusterPrimary } from './lib/cluster-primary.mjs';
import { reportReady, requireFrom } from './lib/server-child.mjs';

const MODEL = fileURLToPath(new URL('../models/mobilenet/model.onnx', import.meta.url));
const processes = availableParallelism();
/** Larger bodies get a 413 (a buffer is allocated before the body is read). */
const MAX_BODY = 64 * 2 ** 20;

async function start() {
  const ort = requireFrom('@infer/runtime-onnx', 'onnxruntime-node');
  const session = await ort.InferenceSession.create(MODEL, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const [outputName] = session.outputNames;
  /** Bodies free for the next request (one per request in flight at most). */
  const free = [];
  const server = http.createServer((request, response) => {
    const length = Number(request.headers['content-length']);
    if (request.method !== 'POST') return void response.writeHead(404).end();
    if (!(length > 0)) return void response.writeHead(411).end();
    if (length > MAX_BODY) return void response.writeHead(413).end();
    const reused = free.pop();
    const body = reused?.byteLength === length ? reused : Buffer.allocUnsafeSlow(length);
    let read = 0;
    request.on('data', (chunk) => {
      chunk.copy(body, read);
      read += chunk.byteLength;
    });
    request.on('end', async () => {
      const headerLength = Number(request.headers['inference-header-content-length']);
      const { inputs } = JSON.parse(body.toString('utf8', 0, headerLength));
      const [{ name, shape }] = inputs;
      const offset = body.byteOffset + headerLength;
      const count = (body.byteLength - headerLength) / 4;
      // A view when aligned (it is for this request), else one copy.
      const data =
        offset % 4 === 0
          ? new Float32Array(body.buffer, offset, count)
          : new Float32Array(body.buffer.slice(offset, offset + count * 4));
      const outputs = await session.run({ [name]: new ort.Tensor('float32', data, shape) });
      free.push(body);
      const output = outputs[outputName];
      const bytes = Buffer.from(output.data.buffer, output.data.byteOffset, output.data.byteLength);
      const header = Buffer.from(
        JSON.stringify({
          model_name: 'mobilenet',
          outputs: [
            {
              name: outputName,
              datatype: 'FP32',
              shape: output.dims,
              parameters: { binary_data_size: bytes.byteLength },
            },
          ],
        }),
      );
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': header.byteLength + bytes.byteLength,
        'inference-header-content-length': header.byteLength,
      });
      response.end(Buffer.concat([header, bytes]));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

if (processes > 1 && cluster.isPrimary) await startClusterPrimary(processes);
else if (processes > 1) await start();
else reportReady(await start());
