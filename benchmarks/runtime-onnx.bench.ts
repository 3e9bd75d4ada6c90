/**
 * Question: how much does `OnnxModel.predict()` add to a bare `session.run()`?
 *
 * Same session (the model's own, so threads and providers are identical), same input,
 * calls interleaved (bare, predict, predict, bare, ...) so drift and noise hit both alike.
 * Two models: MobileNetV2 int8 at batch 1 (the real cost) and a generated Identity FP32 [1,4]
 * (where the run itself is ~nothing, so the difference is the wrapper's own cost).
 * Goal: <= 5% or <= 0.1 ms added per call. Run: `pnpm bench runtime-onnx`.
 */
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceRequest } from '@infer/codecs';
import { OnnxModel, toOrtTensor } from '@infer/runtime-onnx';
import { ELEM, identityModel } from '../packages/runtime-onnx/test/__fixtures__/onnx-builder';
import { median } from './lib/latency';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const THREADS = 1; // one intra-op thread: less noise from the other processes sharing the cores

interface Case {
  label: string;
  model: OnnxModel;
  request: InferenceRequest;
  rounds: number;
  warmup: number;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function measure({ label, model, request, rounds, warmup }: Case) {
  await model.load();
  const session = model.session!;
  // Bare path: the ORT tensors are built once, as a caller holding ORT tensors would.
  const feeds = Object.fromEntries(
    request.inputs.map((tensor) => [tensor.name, toOrtTensor(tensor)]),
  );
  const bare = async () => {
    const t = nowMs();
    await session.run(feeds);
    return nowMs() - t;
  };
  const wrapped = async () => {
    const t = nowMs();
    await model.predict(request);
    return nowMs() - t;
  };
  for (let i = 0; i < warmup; i++) {
    await bare();
    await wrapped();
  }
  const bareTimes: number[] = [];
  const predictTimes: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      bareTimes.push(await bare());
      predictTimes.push(await wrapped());
    } else {
      predictTimes.push(await wrapped());
      bareTimes.push(await bare());
    }
  }
  await model.unload();
  const bareMedian = median(bareTimes);
  const predictMedian = median(predictTimes);
  return {
    label,
    rounds,
    bareMedian,
    predictMedian,
    bareMean: mean(bareTimes),
    predictMean: mean(predictTimes),
    addedMs: predictMedian - bareMedian,
    addedPct: ((predictMedian - bareMedian) / bareMedian) * 100,
  };
}

const pixels = new Float32Array(3 * 224 * 224);
let seed = 7;
for (let i = 0; i < pixels.length; i++) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  pixels[i] = (seed / 2147483648) * 4 - 2;
}

const cases: Case[] = [
  {
    label: 'MobileNetV2 int8, batch 1',
    model: new OnnxModel({
      name: 'mobilenet',
      path: join(ROOT, 'models', 'mobilenet', 'model.onnx'),
      intraOpThreads: THREADS,
    }),
    request: {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }],
    },
    rounds: 400,
    warmup: 30,
  },
  {
    label: 'Identity FP32 [1,4] (wrapper cost alone)',
    model: new OnnxModel({
      name: 'identity',
      bytes: identityModel(ELEM.FLOAT, ['n', 4]),
      intraOpThreads: 1,
    }),
    request: {
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) },
      ],
    },
    rounds: 5000,
    warmup: 500,
  },
];

console.log(
  `runtime-onnx overhead: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, intraOpThreads ${THREADS}`,
);
console.log(
  'case | rounds | bare session.run median (mean) ms | predict() median (mean) ms | added ms | added %',
);
let failed = false;
for (const testCase of cases) {
  const r = await measure(testCase);
  const ok = r.addedMs <= 0.1 || r.addedPct <= 5;
  failed ||= !ok;
  console.log(
    `${r.label} | ${r.rounds} | ${r.bareMedian.toFixed(3)} (${r.bareMean.toFixed(3)}) | ${r.predictMedian.toFixed(3)} (${r.predictMean.toFixed(3)}) | ${r.addedMs.toFixed(3)} | ${r.addedPct.toFixed(1)}% ${ok ? 'ok' : 'OVER GOAL'}`,
  );
}
console.log(failed ? 'goal (<= 5% or <= 0.1 ms) missed' : 'goal (<= 5% or <= 0.1 ms) met');
