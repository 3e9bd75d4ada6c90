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
 * How long `infer serve` may still take to exit on its own once it has drained. Past
 * `shutdownGraceMs` it no longer waits for a model's predict (one that ignores its abort
 * signal): what that predict still holds (a timer, a socket) must not keep the process alive
 * past the grace Kubernetes' `terminationGracePeriodSeconds` is sized for. Only `serve`: the
 * other commands end when their work does, and an exit would cut output a pipe's reader has
 * not taken yet (Node writes to a pipe asynchronously).
 */
const EXIT_AFTER_MS = 1000;

/** Exits once stdout and stderr hold nothing unwritten (waiting up to `rounds` more periods). */
function exitWhenFlushed(rounds = 10): void {
  setTimeout(() => {
    const pending = process.stdout.writableLength + process.stderr.writableLength;
    if (pending > 0 && rounds > 0) exitWhenFlushed(rounds - 1);
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
  .then(() => {
    if (argv[0] === 'serve') exitWhenFlushed();
  });
