/**
 * `h2load` (nghttp2's load generator, C; Debian package `nghttp2-client`) as one load
 * generator for both HTTP/1.1 (`--h1`) and HTTP/2 cleartext, so a REST and a gRPC server
 * are driven by the same program. Each client keeps one request in flight (`-m 1`) on its
 * own connection. h2load runs on one thread; at 1 MiB per request it takes most of a core
 * (0.7-1.0 of one in `grpc-floor.bench.ts`), so its CPU is reported with each run. Besides
 * h2load's figures it reports the CPU, over the measured window, of the server process, of
 * h2load and of the whole box (`proc-cpu.ts`). Linux only.
 *
 * h2load does not read gRPC trailers: a gRPC target must be checked to answer
 * `grpc-status: 0` before the load, and its `dataBytes` compared with the answers' size
 * after it (an error answer carries no message; see `grpc-floor.bench.ts`).
 */
import { spawnSync } from 'node:child_process';
import { pinnedCommand } from './cpu-pinning';
import { runTool, sleep, withBodyFile } from './external-load';
import { coresSince, cpuSnapshot } from './proc-cpu';

/** One h2load run. */
export interface H2loadOptions {
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
  /** Clients, one connection and one request in flight each. */
  clients: number;
  /** HTTP/1.1 instead of HTTP/2 (h2c, prior knowledge). */
  http1: boolean;
  /** Measured seconds. */
  durationS: number;
  /** Seconds of load before the measured window (h2load's `--warm-up-time`). */
  warmupS: number;
  /** The server's pid, for its CPU time. */
  serverPid: number;
  /** HTTP/2 stream and connection windows as powers of two (h2load `-w` / `-W`). Default 23 (8 MiB). */
  windowBits?: number;
  /** Confine h2load to these cores (a `taskset` list), away from the server's. */
  cpus?: string | undefined;
}

/** Figures of one measured run; CPU in cores (1 = one core busy for the whole window). */
export interface H2loadResult {
  clients: number;
  succeeded: number;
  /** Requests that succeeded in the measured window, per second. */
  rps: number;
  /**
   * h2load's mean time per request, milliseconds. Not used for conclusions: over HTTP/2 at
   * 1 MiB with 32 clients it does not agree with clients / rps.
   */
  meanMs: number;
  non2xx: number;
  failed: number;
  /** Response body bytes received (h2load's `traffic: ... (N) data`), warm-up excluded. */
  dataBytes: number;
  boxCores: number;
  serverCores: number;
  h2loadCores: number;
}

/** Whether `h2load` is on the PATH. */
export function hasH2load(): boolean {
  return spawnSync('h2load', ['--version'], { stdio: 'ignore' }).error === undefined;
}

function durationMs(value: string, unit: string): number {
  const number = Number(value);
  return unit === 'us' ? number / 1000 : unit === 's' ? number * 1000 : number;
}

/**
 * Runs h2load for `warmupS + durationS`; CPU is sampled from 0.3 s into the measured window
 * to 0.3 s before its end.
 *
 * @example
 * const result = await h2load({ url, body, headers, clients: 32, http1: false, durationS: 4, warmupS: 1, serverPid });
 */
export function h2load(options: H2loadOptions): Promise<H2loadResult> {
  return withBodyFile(options.body, async (bodyFile) => {
    const windowBits = String(options.windowBits ?? 23);
    const args = [
      `--duration=${options.durationS}`,
      `--warm-up-time=${options.warmupS}`,
      `--clients=${options.clients}`,
      '--max-concurrent-streams=1',
      `--data=${bodyFile}`,
      ...Object.entries(options.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
      ...(options.http1 ? ['--h1'] : ['-w', windowBits, '-W', windowBits]),
      options.url,
    ];
    const windowS = options.durationS - 0.6;
    if (windowS <= 0) throw new Error('durationS must be above 0.6 s');
    // `taskset` execs h2load: the pid measured is h2load's.
    const [command, argv] = pinnedCommand(options.cpus, 'h2load', args);
    const { stdout, measured } = await runTool(command, argv, async (pid) => {
      await sleep((options.warmupS + 0.3) * 1000);
      const pids = { server: options.serverPid, h2load: pid };
      const before = cpuSnapshot(pids);
      await sleep(windowS * 1000);
      return coresSince(before, cpuSnapshot(pids));
    });
    const { box, processes } = measured!;
    const finished = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
    const requests =
      /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
        stdout,
      );
    const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
    const time = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s/.exec(stdout);
    const data = /traffic: .*\((\d+)\) data/.exec(stdout);
    if (!finished || !requests || !status || !time || !data) {
      throw new Error(`unexpected h2load output:\n${stdout}`);
    }
    return {
      clients: options.clients,
      succeeded: Number(requests[1]),
      rps: Number(finished[1]),
      meanMs: durationMs(time[1]!, time[2]!),
      non2xx: Number(status[2]) + Number(status[3]) + Number(status[4]),
      failed: Number(requests[2]) + Number(requests[3]) + Number(requests[4]),
      dataBytes: Number(data[1]),
      boxCores: box,
      serverCores: processes.server!,
      h2loadCores: processes.h2load!,
    };
  });
}
