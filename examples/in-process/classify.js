// Classifies every image in a folder with no HTTP at all: `loadModel()` gives a ServedModel
// (the model behind the same adaptive batcher the HTTP server uses) and many `predict()`
// calls in flight at once let the batcher group images into batches.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageClassifier, loadModel } from '@infer/core';
import { OnnxModel } from '@infer/runtime-onnx';

/** The repository's bundled MobileNetV2 (ONNX, ImageNet); `INFER_MODEL_DIR` points elsewhere. */
export const MODEL_DIR =
  process.env.INFER_MODEL_DIR ?? fileURLToPath(new URL('../../models/mobilenet/', import.meta.url));

/** File extensions read as images (what sharp decodes). */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.avif',
  '.tif',
  '.tiff',
]);

/** MobileNetV2's preprocessing: 224x224 RGB, CHW, scaled to 0..1, then ImageNet mean/std. */
const IMAGE = {
  width: 224,
  height: 224,
  layout: 'CHW',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/**
 * @typedef {{ file: string; label: string; probability: number; class_index: number;
 *   top: { label: string; probability: number; class_index: number }[] }} Classified
 * @typedef {{ file: string; error: string }} Failed
 * @typedef {{ done: number; total: number; file: string }} Progress
 */

/**
 * Classifies the images of `folder` (not recursive), `concurrency` at a time, and resolves
 * with one row per image in file-name order (a file that fails gets an `error` row) and
 * batching figures.
 *
 * @param {string} folder
 * @param {{ concurrency?: number; topK?: number; modelDir?: string;
 *   onProgress?: (progress: Progress) => void }} [options]
 *   `concurrency`: images read and in flight at once (default 32); `topK`: classes per
 *   image (default 5).
 * @returns {Promise<{ results: (Classified | Failed)[];
 *   batches: { count: number; largest: number } }>}
 */
export async function classifyFolder(folder, options = {}) {
  const { concurrency = 32, topK = 5, modelDir = MODEL_DIR, onProgress } = options;
  const files = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => entry.name)
    .sort();
  const labels = JSON.parse(await readFile(join(modelDir, 'labels.json'), 'utf8'));
  const batches = { count: 0, largest: 0 };
  const model = await loadModel(
    new ImageClassifier(new OnnxModel({ name: 'mobilenet', path: join(modelDir, 'model.onnx') }), {
      image: IMAGE,
      labels,
      topK,
    }),
    {
      batching: { maxBatchSize: 16, maxBatchDelayMs: 5 },
      // The queue holds at most `concurrency` requests; 1024 is the default bound.
      maxQueueSize: Math.max(1024, concurrency),
      metrics: {
        observeBatch({ size }) {
          batches.count += 1;
          batches.largest = Math.max(batches.largest, size);
        },
        setQueueLength() {},
        setWorkers() {},
        incWorkerRestarts() {},
        observeModelLoad() {},
      },
    },
  );

  /** @type {(Classified | Failed)[]} */
  const results = new Array(files.length);
  let next = 0;
  let done = 0;
  const decoder = new TextDecoder();
  const classifyOne = async (file) => {
    const bytes = await readFile(join(folder, file));
    const { outputs } = await model.predict({
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [bytes] }],
    });
    const byName = Object.fromEntries(outputs.map((output) => [output.name, output.data]));
    const top = Array.from(byName.label, (label, rank) => ({
      label: decoder.decode(label),
      probability: byName.probability[rank],
      class_index: byName.class_index[rank],
    }));
    return { file, ...top[0], top };
  };
  // `concurrency` loops, each taking the next file: many predictions in flight, bounded memory.
  const runner = async () => {
    while (next < files.length) {
      const index = next++;
      const file = files[index];
      try {
        results[index] = await classifyOne(file);
      } catch (error) {
        results[index] = { file, error: error.message };
      }
      done += 1;
      onProgress?.({ done, total: files.length, file });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, runner));
  } finally {
    await model.close();
  }
  return { results, batches };
}

/**
 * A one-line progress bar on a stream: redrawn in place on a terminal, a line per 10% step
 * otherwise (CI logs).
 *
 * @param {NodeJS.WriteStream} stream
 */
export function progressBar(stream = process.stderr, width = 30) {
  const started = performance.now();
  let lastStep = -1;
  return {
    /** @param {Progress} progress */
    update({ done, total }) {
      const ratio = total === 0 ? 1 : done / total;
      const filled = Math.round(ratio * width);
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? (done / seconds).toFixed(1) : '-';
      const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${Math.round(ratio * 100)}% ${rate} img/s`;
      if (stream.isTTY) {
        stream.write(`\r${line}${done === total ? '\n' : ''}`);
        return;
      }
      const step = Math.floor(ratio * 10);
      if (step !== lastStep || done === total) {
        lastStep = step;
        stream.write(`${line}\n`);
      }
    },
  };
}

/**
 * Results as an aligned text table: file, best label, its probability.
 *
 * @param {(Classified | Failed)[]} results
 */
export function formatTable(results) {
  const rows = [
    ['FILE', 'LABEL', 'PROBABILITY'],
    ...results.map((row) =>
      'error' in row
        ? [row.file, `ERROR: ${row.error}`, '-']
        : [row.file, row.label, row.probability.toFixed(4)],
    ),
  ];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map(([file, label, probability]) =>
      `${file.padEnd(widths[0])}  ${label.padEnd(widths[1])}  ${probability}`.trimEnd(),
    )
    .join('\n');
}
