/**
 * Benchmark servers run in child processes started with plain `node` (no tsx: the built
 * `dist` of the packages, as an app would run them) and `--expose-gc`, so the parent's
 * load generator and the server never share an event loop. Protocol over IPC (see
 * `server-child.mjs`): the child sends `{ type: 'ready', port }`; the parent may ask
 * `{ type: 'memory' }` and gets `{ type: 'memory', ... }` back (after two full GCs).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinnedCommand } from './cpu-pinning';

/** Memory of a child after GC, and the requests it has answered so far. */
export interface ChildMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  requests: number;
}

/**
 * Node options of an `infer-server.mjs` kind: a `-v8heap` kind (e.g. `serve-tuned-v8heap`) runs
 * with `--initial-old-space-size=128`, as `infer serve` and the Dockerfile run.
 *
 * @example
 * nodeArgsOf('serve-tuned-v8heap'); // ['--initial-old-space-size=128']
 */
export function nodeArgsOf(kind: string): readonly string[] {
  return kind.endsWith('-v8heap') ? ['--initial-old-space-size=128'] : [];
}

/** A running child server. */
export interface ChildServer {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Memory after GC (`process.memoryUsage()` of the whole process, worker threads included in RSS). */
  memory(): Promise<ChildMemory>;
  /**
   * Waits until the child uses under 10% of a core (a server still finishing requests
   * abandoned by the last run would steal CPU from the next one); at most `maxMs`.
   */
  settle(maxMs?: number): Promise<void>;
  /** Sends a command and waits for the reply of the same `type`. */
  request<T>(message: { type: string } & Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Where and how long a child may take to start. */
export interface ChildOptions {
  /** Confine the child to these cores from its start (a `taskset` list, e.g. `"0-3"`). */
  cpus?: string | undefined;
  timeoutMs?: number;
  /** Node options before the script (e.g. `--initial-old-space-size=128`). */
  nodeArgs?: readonly string[] | undefined;
}

/**
 * Starts `script` (a `.mjs` file) with `node --expose-gc` and waits for its `ready` message.
 *
 * @example
 * const server = await startChild('naive', new URL('../naive-express-server.mjs', import.meta.url));
 */
export function startChild(
  name: string,
  script: URL,
  args: string[] = [],
  { cpus, timeoutMs = 120_000, nodeArgs = [] }: ChildOptions = {},
): Promise<ChildServer> {
  // `fork` with the IPC channel, through `taskset` when pinned (it execs node: same pid).
  const [command, argv] = pinnedCommand(cpus, process.execPath, [
    '--expose-gc',
    ...nodeArgs,
    fileURLToPath(script),
    ...args,
  ]);
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const request = <T>(
    message: { type: string } & Record<string, unknown>,
    replyTimeoutMs = 600_000,
  ) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: no answer to ${message.type}`)),
        replyTimeoutMs,
      );
      const onMessage = (reply: { type?: string }) => {
        if (reply?.type !== message.type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if ((reply as { error?: string }).error)
          reject(new Error((reply as { error: string }).error));
        else resolve(reply as T);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${name} did not start in ${timeoutMs} ms`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready`));
    };
    child.once('exit', onExit);
    // A command that cannot start (no `taskset` on this machine) rejects instead of throwing.
    child.once('error', (error) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      reject(new Error(`${name} could not start: ${error.message}`));
    });
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message?.type !== 'ready') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        name,
        port: message.port ?? 0,
        child,
        memory: () => request<ChildMemory>({ type: 'memory' }, 60_000),
        settle: async (maxMs = 30_000) => {
          const until = performance.now() + maxMs;
          while (performance.now() < until) {
            const { fraction } = await request<{ fraction: number }>({ type: 'cpu', ms: 300 });
            if (fraction < 0.1) return;
          }
        },
        request,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              done();
              return;
            }
            child.once('exit', () => done());
            child.kill();
          }),
      });
    });
  });
}

/**
 * Starts several children at once, all or none: if one fails to start, the others that did
 * are stopped and the first failure is thrown. Resolves in the order given.
 *
 * @example
 * const [ceiling, server] = await startChildren([['ceiling', ceilingUrl], ['serve', inferUrl, ['serve-tuned']]]);
 */
export async function startChildren(
  children: readonly (readonly [
    name: string,
    script: URL,
    args?: string[],
    nodeArgs?: readonly string[],
  ])[],
  options: ChildOptions = {},
): Promise<ChildServer[]> {
  const started = await Promise.allSettled(
    children.map(([name, script, args, nodeArgs]) =>
      startChild(name, script, args, nodeArgs === undefined ? options : { ...options, nodeArgs }),
    ),
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    for (const result of started) if (result.status === 'fulfilled') await result.value.stop();
    throw failed.reason;
  }
  return started.map((result) => (result as PromiseFulfilledResult<ChildServer>).value);
}
