#!/usr/bin/env node
// Usage: node classify-folder.js <folder> [--json] [--concurrency N]
// Classifies every image in <folder> with MobileNetV2, in-process (no HTTP), batched.
// Progress goes to stderr; the results table (or JSON with --json) to stdout.
import { parseArgs } from 'node:util';

const USAGE = 'Usage: node classify-folder.js <folder> [--json] [--concurrency N]';

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const concurrency = Number(values.concurrency ?? 32);
if (positionals.length !== 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error(USAGE);
  process.exit(2);
}

// Imported after the arguments are checked: loading the model packages takes a moment.
const { classifyFolder, formatTable, progressBar } = await import('./classify.js');
const bar = progressBar(process.stderr);
const started = performance.now();
let outcome;
try {
  outcome = await classifyFolder(positionals[0], {
    concurrency,
    onProgress: (progress) => bar.update(progress),
  });
} catch (error) {
  console.error(`classify-folder: ${error.message}`);
  process.exit(2);
}
const { results, batches } = outcome;
const seconds = (performance.now() - started) / 1000;
const failed = results.filter((row) => 'error' in row).length;

console.log(values.json ? JSON.stringify(results, null, 2) : formatTable(results));
console.error(
  `${results.length} images in ${seconds.toFixed(1)} s (model load included), ` +
    `${batches.count} batches (largest ${batches.largest}), ${failed} failed`,
);
process.exitCode = failed > 0 ? 1 : 0;
