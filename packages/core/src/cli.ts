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
/**
 * How long a finished command may still take to exit on its own. `infer serve` resolves once
 * it has drained, and past `shutdownGraceMs` it no longer waits for a model's predict (one
 * that ignores its abort signal); `infer predict` does not wait for a batch that timed out.
 * What such a predict still holds (a timer, a socket) must not keep the process alive (past
 * the grace Kubernetes' `terminationGracePeriodSeconds` is sized for). The timer is unref'd:
 * a process that nothing else holds exits at once, once its output is written.
 */
const EXIT_AFTER_MS = 1000;

/**
 * Exits once stdout and stderr hold nothing unwritten, checking every `EXIT_AFTER_MS`: Node
 * writes to a pipe asynchronously, and an exit would cut what its reader (`| less`, a log
 * collector) has not taken yet.
 */
function exitWhenFlushed(): void {
  setTimeout(() => {
    const pending = process.stdout.writableLength + process.stderr.writableLength;
    if (pending > 0) exitWhenFlushed();
    else process.exit();
  }, EXIT_AFTER_MS).unref();
}

run
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`infer: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  )
  .then(() => exitWhenFlushed());
