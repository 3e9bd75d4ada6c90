/**
 * Question: how much does `TfjsModel.predict()` add to the bare TF.js call?
 *
 * Same loaded TF.js model (the TfjsModel's own, so backend and weights are identical), same
 * input data, calls interleaved (bare, predict, predict, bare, ...) so drift and noise hit
 * both alike. The bare path is what a caller would write by hand: `tf.tensor(data)`, run
 * (`model.predict` for layers, `model.execute` for graph) in `tf.tidy`, `await data()`,
 * dispose. `predict()` adds request validation and the OIP tensor conversion.
 * Models: ESRGAN-slim x2 (layers) at 16x16 and 64x64, CenterNet (graph, 512x512, one output).
 * Goal: <= 5% or <= 0.1 ms added per call. Run: `pnpm bench runtime-tfjs`.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InferenceRequest } from '@infer/codecs';
import { TfjsModel } from '@infer/runtime-tfjs';
import { denseModel, saveModel } from '../packages/runtime-tfjs/test/generated-models';
import { median } from './lib/latency';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PKG = join(ROOT, 'packages', 'runtime-tfjs', 'node_modules');
const ESRGAN_X2 = join(PKG, '@upscalerjs', 'esrgan-slim', 'models', 'x2');
const CENTERNET = join(PKG, '@vladmandic', 'human', 'models', 'centernet.json');

// TF.js is a peer of @infer/runtime-tfjs, not a root dependency: load the very copy it uses.
type Loaded = NonNullable<TfjsModel['tfjsModel']>;
type Tensor = { data(): Promise<unknown> };
const tf = createRequire(join(ROOT, 'packages', 'runtime-tfjs', 'package.json'))(
  '@tensorflow/tfjs',
) as {
  tensor(data: Float32Array, shape: number[], dtype: 'float32'): Tensor;
  tidy<T>(fn: () => T): T;
  dispose(tensors: Tensor[]): void;
  getBackend(): string;
  version_core: string;
};

interface Case {
  label: string;
  model: TfjsModel;
  request: InferenceRequest;
  rounds: number;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function bareRunner(model: TfjsModel, request: InferenceRequest) {
  const tfjs = model.tfjsModel as Loaded;
  const graph = model.metadata().platform === 'tfjs_graph';
  const input = request.inputs[0]!;
  const outputs = request.outputs?.map((o) => o.name);
  return async () => {
    const t = nowMs();
    const x = tf.tensor(input.data as Float32Array, input.shape, 'float32');
    const y = tf.tidy(() =>
      graph
        ? ((tfjs as Extract<Loaded, { executeAsync: unknown }>).execute(
            { [input.name]: x as never },
            outputs,
          ) as Tensor)
        : ((tfjs as Exclude<Loaded, { executeAsync: unknown }>).predict(x as never) as Tensor),
    );
    await y.data();
    tf.dispose([x, y]);
    return nowMs() - t;
  };
}

async function measure({ label, model, request, rounds }: Case) {
  await model.load();
  const bare = bareRunner(model, request);
  const wrapped = async () => {
    const t = nowMs();
    await model.predict(request);
    return nowMs() - t;
  };
  for (let i = 0; i < 3; i++) {
    await bare();
    await wrapped();
  }
  const bareTimes: number[] = [];
  const wrappedTimes: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      bareTimes.push(await bare());
      wrappedTimes.push(await wrapped());
    } else {
      wrappedTimes.push(await wrapped());
      bareTimes.push(await bare());
    }
  }
  const b = median(bareTimes);
  const w = median(wrappedTimes);
  const added = w - b;
  const row = {
    case: label,
    rounds,
    'bare median ms': b.toFixed(3),
    'predict median ms': w.toFixed(3),
    'added ms': added.toFixed(3),
    'added %': ((added / b) * 100).toFixed(1),
    'bare mean ms': mean(bareTimes).toFixed(3),
    'predict mean ms': mean(wrappedTimes).toFixed(3),
    goal: added <= 0.1 || added / b <= 0.05 ? 'met' : 'MISSED',
  };
  await model.unload();
  return row;
}

function fp32(
  name: string,
  shape: number[],
  value: (i: number) => number,
): InferenceRequest['inputs'][number] {
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    name,
    datatype: 'FP32',
    shape,
    data: Float32Array.from({ length: count }, (_, i) => value(i)),
  };
}

const esrgan = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2 });
const scratch = await mkdtemp(join(tmpdir(), 'tfjs-bench-'));
const tiny = await saveModel(denseModel(), join(scratch, 'dense'));
const cases: Case[] = [
  {
    label: 'generated Dense layers 1x4 (wrapper cost)',
    model: new TfjsModel({ name: 'dense', path: tiny }),
    request: { inputs: [fp32('x', [1, 4], (i) => i)] },
    rounds: 3000,
  },
  {
    label: 'ESRGAN x2 layers 1x16x16x3',
    model: esrgan,
    request: { inputs: [fp32('LR', [1, 16, 16, 3], (i) => (i % 7) / 7)] },
    rounds: 200,
  },
  {
    label: 'ESRGAN x2 layers 1x64x64x3',
    model: esrgan,
    request: { inputs: [fp32('LR', [1, 64, 64, 3], (i) => (i % 7) / 7)] },
    rounds: 20,
  },
  {
    label: 'CenterNet graph 1x512x512x3 (detections)',
    model: new TfjsModel({ name: 'centernet', path: CENTERNET }),
    request: {
      inputs: [fp32('tower_0/images', [1, 512, 512, 3], (i) => i % 255)],
      outputs: [{ name: 'tower_0/detections' }],
    },
    rounds: 10,
  },
];

const started = nowMs();
const rows = [];
for (const c of cases) rows.push(await measure(c));
console.log(
  `TfjsModel.predict() vs bare TF.js on backend "${tf.getBackend()}" (tfjs ${tf.version_core}), ` +
    `${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}`,
);
console.table(rows);
await rm(scratch, { recursive: true, force: true });
console.log(`total ${((nowMs() - started) / 1000).toFixed(1)} s`);
