/**
 * What `adapters.bench.ts` and `young-gen.bench.ts` share: the servers of
 * `adapters-server.mjs` (one per child process, plain `node` on the built packages), the OIP
 * request they are loaded with, and one autocannon run against one of them.
 */
import { type ChildProcess, fork, type StdioOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { pinProcess, serverAndLoadCpus } from './cpu-pinning';

/** The infer route of the identity model every server serves. */
export const IDENTITY_PATH = '/v2/models/identity/infer';

/** One OIP JSON request: FP32 [1, 16]. */
export const IDENTITY_BODY = JSON.stringify({
  inputs: [
    {
      name: 'x',
      datatype: 'FP32',
      shape: [1, 16],
      data: Array.from({ length: 16 }, (_, i) => i / 16),
    },
  ],
});

/** The part of an autocannon result the benches read. */
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** autocannon's programmatic entry. */
export type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

/** autocannon, resolved from the repository root. */
export function loadAutocannon(): Autocannon {
  return createRequire(import.meta.url)('autocannon') as Autocannon;
}

const SERVER = fileURLToPath(new URL('../adapters-server.mjs', import.meta.url));

/** A started server child. */
export interface AdapterServer<K extends string> {
  kind: K;
  child: ChildProcess;
  url: string;
}

/**
 * When `pin`, pins this process (the load generator) to one physical core and returns the
 * CPU of another for the servers (`serverAndLoadCpus`); logs where each side runs. Returns
 * `undefined` when not pinned.
 *
 * @example
 * const serverCpu = pinLoadGenerator(canPin());
 * const server = await startAdapterServer('serve', { cpu: serverCpu });
 */
export function pinLoadGenerator(pin: boolean): number | undefined {
  if (!pin) {
    console.log('not pinned');
    return undefined;
  }
  const [serverCpu, loadCpu] = serverAndLoadCpus();
  if (!pinProcess(process.pid, loadCpu)) throw new Error('could not pin the load generator');
  console.log(`servers pinned to CPU ${serverCpu}, autocannon to CPU ${loadCpu}`);
  return serverCpu;
}

/**
 * Starts `adapters-server.mjs <kind>` (V8 flags in `execArgv`, none by default: plain node,
 * not the bench's tsx) and waits for its port; pins it to `cpu` when given.
 *
 * @example
 * const server = await startAdapterServer('serve', { cpu: 0 });
 */
export async function startAdapterServer<K extends string>(
  kind: K,
  options: { execArgv?: string[]; stdio?: StdioOptions; cpu?: number | undefined } = {},
): Promise<AdapterServer<K>> {
  const child = fork(SERVER, [kind], {
    execArgv: options.execArgv ?? [],
    stdio: options.stdio ?? ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve(message as number));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  if (options.cpu !== undefined && !pinProcess(child.pid!, options.cpu)) {
    child.kill();
    throw new Error(`could not pin the ${kind} server`);
  }
  return { kind, child, url: `http://127.0.0.1:${port}${IDENTITY_PATH}` };
}

/** A server child's CPU time so far (user + system, µs) and its clock (`performance.now()`, ms). */
export interface ServerClock {
  cpu: number;
  ms: number;
}

/**
 * Asks a server child for its {@link ServerClock}.
 *
 * @example
 * const { cpu } = await serverClock(server.child);
 */
export function serverClock(child: ChildProcess): Promise<ServerClock> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as ServerClock));
    child.send('clock');
  });
}

/**
 * One autocannon run of `IDENTITY_BODY` against `url`; throws on any non-2xx answer or error.
 *
 * @example
 * const result = await loadIdentity(autocannon, server.url, server.kind, { connections: 32, duration: 3 });
 */
export async function loadIdentity(
  autocannon: Autocannon,
  url: string,
  kind: string,
  options: { connections: number; duration: number },
): Promise<AutocannonResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: IDENTITY_BODY,
    connections: options.connections,
    duration: options.duration,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return result;
}
