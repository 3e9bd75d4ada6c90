/**
 * `infer serve` runs under `node --initial-old-space-size=128`: with V8's default, the
 * request bodies a server reads (external memory to V8) set off a full garbage collection
 * of the main thread every few dozen MobileNet requests, whose helper threads took CPU from
 * inference (docs/performance.md, section 6; docs/benchmarks.md, "V8's old-generation
 * limit"). The flag can only be given when Node starts, so a `serve` started without it
 * starts Node once more with it, passes signals on to that process and ends as it ends.
 *
 * @internal
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { setsInitialHeap } from '../pool/worker-heap';

/** The Node flag `infer serve` runs under. */
export const SERVE_NODE_FLAG = '--initial-old-space-size=128';
/** The launcher's pid, in the environment of the process it starts (`INFER_NODE_FLAG=0`: no relaunch). */
const RELAUNCHED = 'INFER_RELAUNCHED_BY';
/** Node options under which a second process would get in the way (a debugger's port). */
const DEBUGGING = /^--(inspect|debug)/;

/**
 * The arguments of `node` to run `infer ...argv` again under {@link SERVE_NODE_FLAG}, or
 * `undefined` to run as it is: not `serve`, an initial heap size already given to Node, a
 * debugger option (on the command line or in `NODE_OPTIONS`), Windows (signals there end a
 * process without its drain), this process already the relaunched one, or
 * `INFER_NODE_FLAG=0`.
 *
 * @example
 * relaunchArguments(['serve', './models'], [], {}, '/x/cli.js');
 * // ['--initial-old-space-size=128', '/x/cli.js', 'serve', './models']
 */
export function relaunchArguments(
  argv: readonly string[],
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
  script: string | undefined,
  platform: NodeJS.Platform = process.platform,
): string[] | undefined {
  if (argv[0] !== 'serve' || argv.includes('--help') || argv.includes('-h')) return undefined;
  if (script === undefined || platform === 'win32') return undefined;
  if (env[RELAUNCHED] !== undefined || env.INFER_NODE_FLAG === '0') return undefined;
  // NODE_OPTIONS reaches Node without showing in execArgv (and reaches a relaunch too).
  const given = [...execArgv, ...(env.NODE_OPTIONS?.split(/\s+/) ?? [])];
  if (setsInitialHeap(given) || given.some((option) => DEBUGGING.test(option))) {
    return undefined;
  }
  return [...execArgv, SERVE_NODE_FLAG, script, ...argv];
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `node ...args` with this process's stdout and stderr, passes SIGINT, SIGTERM and
 * SIGHUP on to it, and resolves with its exit code. A child ended by a signal ends this
 * process by the same signal (so a supervisor sees what happened), or resolves 128 + its
 * number. The child sees this process go through an IPC channel: killed outright, this
 * process leaves a child that shuts down as on SIGTERM ({@link watchLauncher}).
 */
export function relaunch(args: readonly string[]): Promise<number> {
  // A process group of its own: a terminal's Ctrl+C reaches this process only, which passes
  // it on once.
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED]: String(process.pid) },
    detached: true,
  });
  const handlers = FORWARDED.map(
    (signal) =>
      [
        signal,
        () => {
          child.kill(signal);
        },
      ] as const,
  );
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const stopForwarding = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return new Promise((resolve) => {
    child.once('error', (error) => {
      if (child.pid !== undefined) return; // a failed kill() later: the exit still comes
      stopForwarding();
      process.stderr.write(`infer: could not start node: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      stopForwarding();
      if (signal !== null) {
        process.kill(process.pid, signal);
        resolve(128 + (constants.signals[signal] ?? 0));
        return;
      }
      resolve(code ?? 1);
    });
  });
}

/**
 * In the relaunched process: when the launcher goes away without passing a signal on
 * (killed outright), shut down as on SIGTERM. Only where this process was started by the
 * launcher named in the environment; that name is not passed on to processes it starts.
 */
export function watchLauncher(): void {
  const launcher = process.env[RELAUNCHED];
  delete process.env[RELAUNCHED];
  if (launcher === undefined || Number(launcher) !== process.ppid || process.send === undefined) {
    return;
  }
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel must not keep this process alive on its own.
  process.channel?.unref();
}
