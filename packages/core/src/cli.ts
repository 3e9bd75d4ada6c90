#!/usr/bin/env node
/**
 * The `infer` bin: `infer serve ./models`, `infer describe model.onnx`,
 * `infer predict URL --model m --input x=@img.png`, `infer bench URL --model m`.
 */
import { runCli } from './cli/main';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`infer: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
