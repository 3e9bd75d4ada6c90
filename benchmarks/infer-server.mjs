/**
 * The @infer servers of `serving.bench.ts`, one per child process, on the built packages:
 *
 * - `serve-default`: `serve()` with an `OnnxModel` and no options (one worker thread whose
 *   session has intra-op threads = cores, spin-wait off, batching `auto`; in-process before
 *   2026-11-27, stop 30).
 * - `serve-inprocess`: the same with `workers: 0`: the session on the main thread, as the
 *   default was before.
 * - `serve-default-spin`: the same with ONNX Runtime's intra-op spin-wait on
 *   (`intraOpSpinning: true`, ORT's own default; `onnx-spinning.bench.ts`).
 * - `express-default` / `fastify-default`: the Express router / Fastify plugin over an
 *   `InferenceService` with the same default model.
 * - `serve-tuned`: `serve()` with one worker per core this process may use
 *   (`os.availableParallelism()`: 2 on the dev box, N when the bench pins it to N cores),
 *   each worker one intra-op thread (the default for as many workers as cores), batching
 *   `auto`, warm-up on.
 * - `serve-tuned-b<N>` (e.g. `serve-tuned-b4`): `serve-tuned` with a fixed `maxBatchSize`
 *   of N instead of `auto` (docs/performance.md section 2: on a core shared by the main
 *   thread and one worker, a fixed size served more than `auto`).
 * - `serve-tuned-unpooled`: the same with `reuseBodyBuffers: false` (every body in a fresh
 *   buffer, as before bodies came from a pool).
 * - `<kind>-v8heap` (e.g. `serve-tuned-v8heap`): that kind in a Node started with
 *   `--initial-old-space-size=128`, as `infer serve` and the Dockerfile run (the bench passes
 *   the flag: `nodeArgsOf` in serving-floor.bench.ts).
 * - `serve-tuned-p<N>` (e.g. `serve-tuned-p3`): N processes under `node:cluster` sharing one
 *   port, each `serve-tuned` with floor(cores / N) workers (at least 1); the primary only
 *   forwards connections (round-robin) and reports the port. The bench counts the CPU of
 *   the whole process tree (`lib/proc-cpu.ts`).
 * - `serve-inprocess-p<N>`: N processes as `serve-tuned-p<N>`, each with its session on the
 *   main thread (`workers: 0`, floor(cores / N) intra-op threads), batching `auto`, warm-up
 *   on: no thread hop at all, for machines with few cores.
 * - `serve-w<N>` (e.g. `serve-w4`): `serve()` with an `OnnxModel` of N workers and nothing
 *   else set: each session gets floor(cores / N) intra-op threads, batching `auto`. Compares
 *   layouts of the same cores (`serve-w1` is `serve-default`).
 * - `identity`: `serve()` with an identity `defineModel` on FP32 [-1, 16] (memory soak).
 * - `esrgan-tuned`: `serve()` with a `TfjsModel` of ESRGAN-slim x2 on the wasm backend,
 *   `workers: 2`, batching `auto` (`serving-tfjs.bench.ts`).
 * - `esrgan-default`: `serve()` with that `TfjsModel` (wasm) and no serving options: one
 *   worker thread since 2026-11-27, stop 31. `esrgan-inprocess`: the same with `workers: 0`
 *   (`probes-under-load.bench.ts` with `PROBES_MODEL=esrgan`).
 * - `ocr-tuned`: `serve()` with an `OnnxModel` of PP-OCRv4 text-line recognition
 *   (`lib/ocr.mjs`), one worker per core (at least two, as its ceiling), batching `auto`,
 *   warm-up on (`serving-ocr.bench.ts`).
 *
 * Run: `node benchmarks/infer-server.mjs <kind>` as a child of the bench (IPC, see
 * `lib/server-child.mjs`).
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineModel, InferenceService, ModelRepository, serve } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';
import { startClusterPrimary } from './lib/cluster-primary.mjs';
import { reportReady, requireFrom } from './lib/server-child.mjs';

const MODEL = fileURLToPath(new URL('../models/mobilenet/model.onnx', import.meta.url));
/** A `-v8heap` kind is its base kind in a Node started with `--initial-old-space-size=128`. */
const kind = process.argv[2]?.replace(/-v8heap$/, '');
/** `serve-tuned-p<N>` and `serve-inprocess-p<N>`: the number of processes. */
const processes = Number(/^serve-(?:tuned|inprocess)-p([1-9]\d*)$/.exec(kind ?? '')?.[1] ?? 0);
/** `serve-tuned-b<N>`: the fixed batch size. */
const fixedBatch = Number(/^serve-tuned-b([1-9]\d*)$/.exec(kind ?? '')?.[1] ?? 0);
/** `serve-w<N>`: the number of workers. */
const workers = Number(/^serve-w(\d+)$/.exec(kind ?? '')?.[1] ?? 0);

function mobilenet(options = {}) {
  return new OnnxModel({ name: 'mobilenet', path: MODEL, ...options });
}

/** ESRGAN-slim x2 on the wasm backend (TF.js imported here only: MobileNet kinds skip it). */
async function esrgan(options = {}) {
  const { TfjsModel } = await import('@infer/runtime-tfjs');
  const { esrganDir } = await import('./lib/esrgan.mjs');
  return new TfjsModel({ name: 'esrgan', path: esrganDir(), backend: 'wasm', ...options });
}

function identity() {
  return defineModel({
    name: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 16] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 16] }],
    predict: (request) => [{ ...request.inputs[0], name: 'y' }],
  });
}

async function serviceOf(model) {
  const repository = new ModelRepository();
  repository.add(model);
  await repository.loadAll();
  return new InferenceService({ repository });
}

/** The cores each process of a `-p<N>` kind gets (floor(cores / N), at least 1); else all. */
const coresPerProcess =
  processes > 0
    ? Math.max(1, Math.floor(availableParallelism() / processes))
    : availableParallelism();

async function start() {
  switch (kind) {
    case 'serve-default':
      return (await serve({ models: [mobilenet()], port: 0 })).server;
    case `serve-w${workers}`:
      return (await serve({ models: [mobilenet({ workers })], port: 0 })).server;
    case 'serve-inprocess':
      return (await serve({ models: [mobilenet({ workers: 0 })], port: 0 })).server;
    case processes > 0 && `serve-inprocess-p${processes}`:
      return (
        await serve({
          models: [
            mobilenet({
              workers: 0,
              intraOpThreads: coresPerProcess,
              batching: { maxBatchSize: 'auto' },
              warmup: true,
            }),
          ],
          port: 0,
        })
      ).server;
    case 'serve-default-spin':
      return (await serve({ models: [mobilenet({ intraOpSpinning: true })], port: 0 })).server;
    case 'serve-tuned':
    case 'serve-tuned-unpooled':
    case fixedBatch > 0 && `serve-tuned-b${fixedBatch}`:
    case processes > 0 && `serve-tuned-p${processes}`:
      return (
        await serve({
          models: [
            mobilenet({
              workers: coresPerProcess,
              batching: { maxBatchSize: fixedBatch > 0 ? fixedBatch : 'auto' },
              warmup: true,
            }),
          ],
          port: 0,
          reuseBodyBuffers: kind !== 'serve-tuned-unpooled',
        })
      ).server;
    case 'identity':
      return (await serve({ models: [identity()], port: 0 })).server;
    case 'esrgan-tuned':
      return (
        await serve({
          models: [await esrgan({ workers: 2, batching: { maxBatchSize: 'auto' } })],
          port: 0,
        })
      ).server;
    case 'esrgan-default':
      return (await serve({ models: [await esrgan()], port: 0 })).server;
    case 'esrgan-inprocess':
      return (await serve({ models: [await esrgan({ workers: 0 })], port: 0 })).server;
    case 'ocr-tuned': {
      const { OCR_RECOGNITION_MODEL } = await import('./lib/ocr.mjs');
      const model = new OnnxModel({
        name: 'ocr',
        path: OCR_RECOGNITION_MODEL,
        // As many as the ceiling's workers (ocr-ceiling.mjs), one intra-op thread each.
        workers: Math.max(2, availableParallelism()),
        batching: { maxBatchSize: 'auto' },
        warmup: true,
      });
      return (await serve({ models: [model], port: 0 })).server;
    }
    case 'express-default': {
      const express = requireFrom('@infer/core', 'express');
      const { inferRouter } = await import('@infer/core/express');
      const app = express();
      app.use(inferRouter(await serviceOf(mobilenet())));
      return await new Promise((resolve) => {
        const server = app.listen(0, '127.0.0.1', () => resolve(server));
      });
    }
    case 'fastify-default': {
      const Fastify = requireFrom('@infer/core', 'fastify');
      const { inferPlugin } = await import('@infer/core/fastify');
      const app = Fastify();
      await app.register(inferPlugin, { service: await serviceOf(mobilenet()) });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return app.server;
    }
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

if (processes > 0 && cluster.isPrimary) await startClusterPrimary(processes);
else if (processes > 0) await start();
else reportReady(await start());
