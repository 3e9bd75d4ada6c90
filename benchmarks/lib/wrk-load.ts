/**
 * A load generator that costs the machine little: `wrk` (C, one thread, Debian package
 * `wrk`), driven with a Lua script that POSTs a fixed body: about 0.15-0.25 core-ms per
 * MobileNet request on the 2-core box. Besides wrk's own figures it reports the CPU, over
 * the measured window, of the whole box, of the server process (all threads) and of wrk
 * itself (`proc-cpu.ts`). Linux only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coresSince, cpuSnapshot, sleep } from './proc-cpu';

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

function runWrk(
  args: string[],
  during?: (pid: number) => Promise<void>,
): Promise<{ stdout: string; cpuDuring?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    const watching = during?.(child.pid!) ?? Promise.resolve();
    child.on('exit', (code) => {
      watching.then(() => {
        if (code === 0) resolve({ stdout });
        else reject(new Error(`wrk exited with ${code}: ${stderr.trim()}`));
      }, reject);
    });
  });
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
export async function wrkLoad(options: WrkOptions): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'infer-wrk-'));
  try {
    const bodyFile = join(dir, 'body.bin');
    const script = join(dir, 'post.lua');
    writeFileSync(bodyFile, options.body);
    writeFileSync(script, luaScript(bodyFile, options.headers));
    const base = ['-t1', `-c${options.connections}`, '-s', script, '--timeout', '30s'];
    if (options.warmupS > 0) {
      await runWrk([...base, `-d${Math.ceil(options.warmupS)}s`, options.url]);
    }
    const windowS = options.durationS - 0.8;
    if (windowS <= 0) throw new Error('durationS must be above 0.8 s');
    let cpu = { box: 0, server: 0, wrk: 0 };
    const { stdout } = await runWrk(
      [...base, '--latency', `-d${options.durationS}s`, options.url],
      async (wrkPid) => {
        await sleep(500);
        const pids = { server: options.serverPid, wrk: wrkPid };
        const before = cpuSnapshot(pids);
        await sleep(windowS * 1000);
        const { box, processes } = coresSince(before, cpuSnapshot(pids));
        cpu = { box, server: processes.server!, wrk: processes.wrk! };
      },
    );
    const requests = countOf(stdout, /(\d+) requests in/);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
    return {
      connections: options.connections,
      requests,
      rps,
      p50: latencyMs(stdout, '50'),
      p99: latencyMs(stdout, '99'),
      non2xx: countOf(stdout, /Non-2xx or 3xx responses: (\d+)/),
      socketErrors: socketErrors(stdout),
      durationS: options.durationS,
      boxCores: cpu.box,
      serverCores: cpu.server,
      wrkCores: cpu.wrk,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
