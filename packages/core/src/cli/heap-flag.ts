/**
 * `infer serve` runs under `node --initial-old-space-size=128`: with V8's default, the
 * request bodies a server reads (external memory to V8) set off a full garbage collection
 * of the main thread every few dozen MobileNet requests, whose helper threads took CPU from
 * inference (docs/performance.md, section 6; docs/benchmarks.md, "V8's old-generation
 * limit"). The flag can only be given when Node starts, so a `serve` started without it
 * starts Node once more with it, forwards signals to that process and exits as it exits.
 *
 * @internal
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setsInitialHeap } from '../pool/worker-heap';

/** The Node flag `infer serve` runs under. */
export const SERVE_NODE_FLAG = '--initial-old-space-size=128';
/** Set in the environment of the relaunched process (and `INFER_NODE_FLAG=0` turns it off). */
const RELAUNCHED = 'INFER_RELAUNCHED';

/**
 * The arguments of `node` to run `infer ...argv` again under {@link SERVE_NODE_FLAG}, or
 * `undefined` to run as it is: not `serve`, an initial heap size already given to Node, this
 * process already the relaunched one, or `INFER_NODE_FLAG=0`.
 *
 * @example
 * relaunchArguments(['serve', './models'], [], {}, '/x/cli.js');
 * // ['--initial-old-space-size=128', '/x/cli.js', 'serve', './models']
 */
export function relaunchArguments(
  argv: readonly string[],
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
  script: string,
): string[] | undefined {
  if (argv[0] !== 'serve' || argv.includes('--help') || argv.includes('-h')) return undefined;
  if (env[RELAUNCHED] === '1' || env.INFER_NODE_FLAG === '0') return undefined;
  if (setsInitialHeap(execArgv)) return undefined;
  return [...execArgv, SERVE_NODE_FLAG, script, ...argv];
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `node ...args` with this process's stdio, forwards SIGINT, SIGTERM and SIGHUP to it,
 * and resolves with the exit code to give (128 + the signal's number when a signal ended
 * it). The child sees the parent go through an IPC channel: if this process is killed
 * outright, the child shuts down as on SIGTERM instead of living on (see
 * {@link watchLauncher}).
 */
export function relaunch(args: readonly string[]): Promise<number> {
  // A process group of its own: a terminal's Ctrl+C reaches this process only, which passes
  // it on once (the server takes a second SIGINT as "cut the connections now").
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED]: '1' },
    detached: true,
  });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise((resolve) => {
    const done = (code: number) => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(code);
    };
    child.once('error', () => done(1));
    child.once('exit', (code, signal) =>
      done(code ?? 128 + (signal === null ? 0 : signalNumber(signal))),
    );
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 0;
}

/**
 * In the relaunched process: when the launching process goes away without passing on a
 * signal (killed outright), shut down as on SIGTERM.
 */
export function watchLauncher(): void {
  if (process.env[RELAUNCHED] !== '1' || process.send === undefined) return;
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel must not keep this process alive on its own.
  process.channel?.unref();
}
