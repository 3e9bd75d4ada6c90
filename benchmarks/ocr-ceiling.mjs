/**
 * The ceiling of `serving-ocr.bench.ts`: bare onnxruntime-node running PP-OCRv4 text-line
 * recognition (`lib/ocr.mjs`) in one worker thread per core this process may use (at least
 * two), each with its own 1-thread session, each calling `session.run` back to back on one
 * constant batch. No HTTP, no @infer: what `serve()` with `workers` does, minus everything
 * around the session.
 *
 * As a child of the bench (IPC, `lib/ceiling-child.mjs`): `{ type: 'measure', width, batch,
 * seconds }` answers `{ imagesPerSecond, runs }`; `{ type: 'reference', width }` answers the
 * output for `ocrInput(width)` as a plain array.
 */
import { availableParallelism } from 'node:os';
import { runCeilingChild } from './lib/ceiling-child.mjs';
import { OCR_INPUT, OCR_RECOGNITION_MODEL, ocrInput } from './lib/ocr.mjs';
import { requireFrom } from './lib/server-child.mjs';

const ort = requireFrom('@infer/runtime-onnx', 'onnxruntime-node');

async function load() {
  const session = await ort.InferenceSession.create(OCR_RECOGNITION_MODEL, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const run = async (data, shape) => {
    const results = await session.run({ [OCR_INPUT]: new ort.Tensor('float32', data, shape) });
    return Object.values(results)[0].data;
  };
  return { run };
}

await runCeilingChild({
  moduleUrl: new URL(import.meta.url),
  workers: Math.max(2, availableParallelism()),
  load,
  input: ({ width }, batch) => ({ data: ocrInput(width, batch), shape: [batch, 3, 48, width] }),
});
