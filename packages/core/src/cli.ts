#!/usr/bin/env node
/**
 * The `infer` bin: `infer serve ./models`, `infer describe model.onnx`,
 * `infer predict URL --model m --input x=@img.png`, `infer bench URL --model m`.
 */
import { relaunch, relaunchArguments, watchLauncher } from './cli/heap-flag';

const argv = process.argv.slice(2);
// `infer serve` runs under `--initial-old-space-size=128`: started without it, it starts
// Node once more with it (see cli/heap-flag.ts).
const relaunchWith = relaunchArguments(argv, process.execArgv, process.env, process.argv[1]);
watchLauncher();

// The CLI proper is loaded only where it runs: a launcher stays small.
const run =
  relaunchWith === undefined
    ? import('./cli/main').then(({ runCli }) => runCli(argv))
    : relaunch(relaunchWith);
run.then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`infer: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
