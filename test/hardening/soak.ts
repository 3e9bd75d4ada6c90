/**
 * The leak soak, run by leaks.test.ts in a child process started with `--expose-gc` (and tsx,
 * which resolves `@infer/*` to the sources through tsconfig paths): serve() with the echo model
 * and the real MobileNet, a warm-up, then thousands of requests; heap (after full GCs), RSS,
 * live input tensors (a FinalizationRegistry over every tensor the echo model received) and
 * active handles are measured along the way, and what stays reachable while MobileNet
 * requests are in flight. Prints one JSON line.
 *
 * Usage: node --expose-gc --import tsx test/hardening/soak.ts <echoRequests> <mobilenetRequests>
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  echoBody,
  echoModel,
  HttpClient,
  mobilenetBody,
  mobilenetModel,
  startServer,
} from './helpers';

const echoRequests = Number(process.argv[2] ?? 3000);
const mobilenetRequests = Number(process.argv[3] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

let tensorsCreated = 0;
let tensorsCollected = 0;
const registry = new FinalizationRegistry<void>(() => {
  tensorsCollected++;
});

/** Several full GCs with turns of the event loop between (finalizers run in between). */
async function settle(): Promise<void> {
  for (let round = 0; round < 4; round++) {
    gc!();
    await delay(20);
  }
}

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

async function run(
  client: HttpClient,
  path: string,
  body: (k: number) => unknown,
  count: number,
  lanes: number,
  /** Called once, after `probe.at` answers, while the other lanes' requests are in flight. */
  probe?: { at: number; call: () => void },
) {
  let next = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const k = next++;
        const answer = await client.post(path, body(k));
        if (answer.status !== 200) throw new Error(`${path} -> ${answer.status} ${answer.body}`);
        if (++answered === probe?.at) probe.call();
      }
    }),
  );
}

function memory() {
  const usage = process.memoryUsage();
  return {
    heapUsed: usage.heapUsed,
    rss: usage.rss,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
  };
}

await settle();
const handlesBefore = handles();
const server = await startServer({
  models: [
    echoModel('echo', {
      onPredict: (inputs) => {
        for (const input of inputs) {
          tensorsCreated++;
          registry.register(input.data as object, undefined);
        }
      },
    }),
    mobilenetModel('mobilenet'),
  ],
});
const client = new HttpClient(server.url, { maxSockets: 8, deadlineMs: 60_000 });
const mobilenetText = JSON.stringify(mobilenetBody());
const mobilenet = () => mobilenetText;
const started = performance.now();

// Warm-up: JIT, pools, caches, ORT arenas.
await run(client, '/v2/models/echo/infer', (k) => echoBody(k, 1 + (k % 4)), 300, 8);
await run(client, '/v2/models/mobilenet/infer', mobilenet, 16, 4);
await settle();
const warm = memory();

const echoSamples: number[] = [];
const third = Math.ceil(echoRequests / 3);
for (let part = 0; part < 3; part++) {
  await run(client, '/v2/models/echo/infer', (k) => echoBody(k, 1 + (k % 4)), third, 8);
  await settle();
  echoSamples.push(memory().heapUsed);
}
const afterEcho = memory();
const echoSeconds = (performance.now() - started) / 1000;
// MobileNet in two halves of continuous load. Late in each half, one full GC while requests
// are in flight: what stays reachable then is what the server keeps per request (issue 8:
// settled batcher entries kept every input tensor alive until the load stopped).
const half = Math.ceil(mobilenetRequests / 2);
const underLoad: ReturnType<typeof memory>[] = [];
const probe = {
  at: Math.max(1, half - 8),
  call: () => {
    gc!();
    underLoad.push(memory());
  },
};
await run(client, '/v2/models/mobilenet/infer', mobilenet, half, 4, probe);
await settle();
const afterMobilenetHalf = memory();
await run(client, '/v2/models/mobilenet/infer', mobilenet, half, 4, probe);
await settle();
const afterMobilenet = memory();

client.close();
await delay(50);
await settle();
const liveTensors = tensorsCreated - tensorsCollected;
const handlesServing = handles();
await server.close();
await settle();
const handlesAfter = handles();

process.stdout.write(
  `${JSON.stringify({
    echoRequests: third * 3,
    mobilenetRequests: half * 2,
    seconds: (performance.now() - started) / 1000,
    echoSeconds,
    warm,
    echoSamples,
    afterEcho,
    underLoad,
    afterMobilenetHalf,
    afterMobilenet,
    tensorsCreated,
    liveTensors,
    handlesBefore,
    handlesServing,
    handlesAfter,
  })}\n`,
);
