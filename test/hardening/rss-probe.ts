/**
 * RSS probe of issue 8 (memory growth with MobileNet JSON requests; see docs/performance.md,
 * "Memory"): serves one model with serve(), sends `requests` requests from `lanes`
 * closed-loop keep-alive connections after a warm-up and prints one JSON line per checkpoint:
 * RSS, heap, external and arrayBuffers in MiB, and the process's thread count. Not a test.
 *
 * Usage: node --expose-gc --import tsx test/hardening/rss-probe.ts [key=value ...]
 *   model=mobilenet|identity  identity: same input and output, no ONNX Runtime
 *   requests=600 every=100 warm=32 lanes=4 workers=0 threads=1 (ORT intra-op)
 *   batch=auto|N|off          maxBatchSize, or batching off
 *   arena=on|off pattern=on|off  ORT enableCpuMemArena / enableMemPattern
 *   body=json|binary          binary: the binary tensor extension
 *   send=buffer|copy|string   one Buffer reused, a copy per request, or the JSON text with
 *                             no content-type (as soak.ts sends it)
 *   pause=0|1                 0 (default): continuous load, one gc() at each checkpoint with
 *                             requests in flight, then full GCs once idle at the end;
 *                             1: drain and collect at each checkpoint
 *   echo=N                    serve the echo model too and send it N requests first
 *   snapshot=N                write a heap snapshot (cwd) after N answers
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { encodeInferenceRequest } from '@infer/codecs';
import { defineModel } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { echoBody, echoModel, HttpClient, MOBILENET, mobilenetBody, startServer } from './helpers';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => arg.split('=', 2) as [string, string]),
);
const opt = (key: string, fallback: string) => args[key] ?? fallback;
const requests = Number(opt('requests', '600'));
const every = Number(opt('every', '100'));
const warmRequests = Number(opt('warm', '32'));
const lanes = Number(opt('lanes', '4'));
const workers = Number(opt('workers', '0'));
const batch = opt('batch', 'auto');
const gc = (globalThis as { gc?: () => void }).gc!;

const batching =
  batch === 'off'
    ? (false as const)
    : { maxBatchSize: batch === 'auto' ? ('auto' as const) : Number(batch) };
const sessionOptions: Record<string, unknown> = {};
if (opt('arena', 'default') !== 'default')
  sessionOptions.enableCpuMemArena = opt('arena', '') === 'on';
if (opt('pattern', 'default') !== 'default')
  sessionOptions.enableMemPattern = opt('pattern', '') === 'on';

const model =
  opt('model', 'mobilenet') === 'identity'
    ? defineModel({
        name: 'm',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
        outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 1000] }],
        serving: { batching },
        predict: (request) => {
          const rows = request.inputs[0]!.shape[0]!;
          return [
            {
              name: 'output',
              datatype: 'FP32',
              shape: [rows, 1000],
              data: new Float32Array(rows * 1000),
            },
          ];
        },
      })
    : new OnnxModel({
        name: 'm',
        path: MOBILENET,
        intraOpThreads: Number(opt('threads', '1')),
        workers,
        batching,
        ...(Object.keys(sessionOptions).length > 0 ? { sessionOptions } : {}),
      });

async function settle() {
  for (let k = 0; k < 3; k++) {
    gc();
    await delay(20);
  }
}
const MiB = 2 ** 20;
function sample(done: number) {
  const usage = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const threads = Number(/Threads:\s+(\d+)/.exec(status)?.[1]);
  return {
    done,
    rss: +(usage.rss / MiB).toFixed(1),
    heap: +(usage.heapUsed / MiB).toFixed(1),
    external: +(usage.external / MiB).toFixed(1),
    arrayBuffers: +(usage.arrayBuffers / MiB).toFixed(1),
    threads,
  };
}

const echoCount = Number(opt('echo', '0'));
const server = await startServer({
  models: echoCount > 0 ? [echoModel('echo'), model] : [model],
});
const client = new HttpClient(server.url, { maxSockets: Math.max(lanes, 8), deadlineMs: 120_000 });
const binary = opt('body', 'json') === 'binary';
const json = JSON.stringify(mobilenetBody());
let payload: { body: Buffer; headers: Record<string, string> };
if (binary) {
  const decoded = JSON.parse(json);
  const encoded = encodeInferenceRequest(
    { inputs: [{ ...decoded.inputs[0], data: Float32Array.from(decoded.inputs[0].data) }] },
    { binary: true },
  );
  payload = { body: Buffer.from(encoded.body), headers: encoded.headers };
} else {
  payload = { body: Buffer.from(json), headers: { 'content-type': 'application/json' } };
}
const send = opt('send', 'buffer');
let completed = 0;
let onCompleted: (() => void) | undefined;
async function run(count: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        next++;
        const answer = await client.send({
          method: 'POST',
          path: '/v2/models/m/infer',
          headers: send === 'string' ? {} : payload.headers,
          // string: a fresh Buffer.from(text) per request, no content-type (as soak.ts sends)
          body:
            send === 'buffer' ? payload.body : send === 'copy' ? Buffer.from(payload.body) : json,
        });
        if (answer.status !== 200) throw new Error(`${answer.status} ${answer.body}`);
        completed++;
        onCompleted?.();
      }
    }),
  );
}

const started = performance.now();
const seconds = () => +((performance.now() - started) / 1000).toFixed(1);
if (echoCount > 0) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < echoCount) {
        const k = next++;
        const answer = await client.post('/v2/models/echo/infer', echoBody(k, 1 + (k % 4)));
        if (answer.status !== 200) throw new Error(`${answer.status} ${answer.body}`);
      }
    }),
  );
  await settle();
  console.log(JSON.stringify({ echo: echoCount, ...sample(0) }));
}
await run(warmRequests);
await settle();
completed = 0;
console.log(JSON.stringify({ config: args, ...sample(0) }));
if (opt('pause', '0') === '1') {
  // Drain and collect at every checkpoint.
  for (let done = 0; done < requests; done += every) {
    await run(every);
    const before = process.memoryUsage().rss;
    await settle();
    console.log(
      JSON.stringify({
        ...sample(done + every),
        rssBeforeGc: +(before / MiB).toFixed(1),
        s: seconds(),
      }),
    );
  }
} else {
  // Continuous load; samples without GC along the way, one after GC at the end.
  const snapshotAt = Number(opt('snapshot', '0'));
  onCompleted = () => {
    if (completed === snapshotAt)
      console.log(
        JSON.stringify({
          snapshot: writeHeapSnapshot(),
          ...sample(completed),
        }),
      );
    if (completed % every === 0 && completed < requests) {
      // One full GC in the middle of the load (requests in flight stay reachable).
      const before = process.memoryUsage();
      gc();
      console.log(
        JSON.stringify({
          ...sample(completed),
          rssBeforeGc: +(before.rss / MiB).toFixed(1),
          arrayBuffersBeforeGc: +(before.arrayBuffers / MiB).toFixed(1),
          s: seconds(),
        }),
      );
    }
  };
  await run(requests);
  await settle();
  console.log(JSON.stringify({ ...sample(completed), idle: true, s: seconds() }));
}
client.close();
await server.close();
