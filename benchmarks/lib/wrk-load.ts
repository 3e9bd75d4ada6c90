/**
 * A load generator that costs the machine little: `wrk` (C, one thread unless asked, Debian package
 * `wrk`), driven with a Lua script that POSTs a fixed body: 0.15-0.32 core-ms per MobileNet
 * request on the 2-core box. Besides wrk's own figures it reports the CPU, over the measured
 * window, of the whole box, of the server process (all threads) and of wrk itself
 * (`proc-cpu.ts`). Linux only.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCommand } from './cpu-pinning';
import { runTool, sleep, withBodyFile } from './external-load';
import { coresSince, cpuSnapshot } from './proc-cpu';

/** One wrk run. */
export interface WrkOptions {
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
  connections: number;
  /** Measured seconds. */
  durationS: number;
  /** Seconds of load before the measured window (a separate wrk run), not counted. */
  warmupS: number;
  /** The server's pid, for its CPU time. */
  serverPid: number;
  /** wrk's threads (default 1; at most `connections`). */
  threads?: number;
  /** Confine wrk to these cores (a `taskset` list), away from the server's. */
  cpus?: string | undefined;
}

/** Figures of one measured run; CPU in cores (1 = one core busy for the whole window). */
export interface WrkResult {
  connections: number;
  requests: number;
  rps: number;
  /** Milliseconds, from wrk's `--latency` distribution. */
  p50: number;
  p99: number;
  non2xx: number;
  socketErrors: number;
  durationS: number;
  boxCores: number;
  serverCores: number;
  wrkCores: number;
}

/** Whether `wrk` is on the PATH. */
export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/**
 * Exits with status 1 and an install hint when `wrk` is not on the PATH.
 *
 * @example
 * requireWrk('serving-floor');
 */
export function requireWrk(bench: string): void {
  if (hasWrk()) return;
  console.error(`${bench} needs wrk on the PATH (Debian/Ubuntu: apt-get install wrk)`);
  process.exit(1);
}

function luaScript(bodyFile: string, headers: Record<string, string>): string {
  const lines = [
    'wrk.method = "POST"',
    `local file = io.open(${JSON.stringify(bodyFile)}, "rb")`,
    'wrk.body = file:read("*a")',
    'file:close()',
  ];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `wrk --latency` prints `50%  1.23ms`; the value in milliseconds. */
function latencyMs(stdout: string, percent: string): number {
  const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
  if (!match) throw new Error(`no ${percent}% latency in wrk output:\n${stdout}`);
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

/** wrk prints `Socket errors: connect 0, read 0, write 0, timeout 0` only when there are any. */
function socketErrors(stdout: string): number {
  const match = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return match ? match.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0;
}

function countOf(stdout: string, pattern: RegExp): number {
  const match = pattern.exec(stdout);
  return match ? Number(match[1]) : 0;
}

/**
 * A warm-up run, then a measured run of `durationS`. CPU is sampled from 0.5 s after the
 * measured run starts to 0.3 s before it ends (wrk's connection set-up and tear-down are
 * outside the window) and divided by the window; requests per second are wrk's own.
 *
 * @example
 * const result = await wrkLoad({ url, body, headers, connections: 32, durationS: 5, warmupS: 2, serverPid });
 */
export function wrkLoad(options: WrkOptions): Promise<WrkResult> {
  return withBodyFile(options.body, async (bodyFile, dir) => {
    const script = join(dir, 'post.lua');
    writeFileSync(script, luaScript(bodyFile, options.headers));
    const threads = Math.min(options.threads ?? 1, options.connections);
    const base = [`-t${threads}`, `-c${options.connections}`, '-s', script, '--timeout', '30s'];
    const wrk = (args: string[]) => pinnedCommand(options.cpus, 'wrk', [...base, ...args]);
    if (options.warmupS > 0) {
      await runTool(...wrk([`-d${Math.ceil(options.warmupS)}s`, options.url]));
    }
    const windowS = options.durationS - 0.8;
    if (windowS <= 0) throw new Error('durationS must be above 0.8 s');
    const { stdout, measured } = await runTool(
      ...wrk(['--latency', `-d${options.durationS}s`, options.url]),
      async (wrkPid) => {
        await sleep(500);
        const pids = { server: options.serverPid, wrk: wrkPid };
        const before = cpuSnapshot(pids);
        await sleep(windowS * 1000);
        return coresSince(before, cpuSnapshot(pids));
      },
    );
    const { box, processes } = measured!;
    return {
      connections: options.connections,
      requests: countOf(stdout, /(\d+) requests in/),
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN),
      p50: latencyMs(stdout, '50'),
      p99: latencyMs(stdout, '99'),
      non2xx: countOf(stdout, /Non-2xx or 3xx responses: (\d+)/),
      socketErrors: socketErrors(stdout),
      durationS: options.durationS,
      boxCores: box,
      serverCores: processes.server!,
      wrkCores: processes.wrk!,
    };
  });
}
