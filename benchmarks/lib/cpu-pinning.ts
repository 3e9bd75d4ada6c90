/**
 * CPU pinning for load benchmarks on a small machine: the servers under test on one core,
 * the load generator on another, so the kernel does not move them onto each other's core
 * between rounds (on the 2-core dev box that alone swung a bare Fastify route's req/s by 2x).
 * Linux `taskset` only; elsewhere, or with fewer than two cores, nothing is pinned.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

/** Whether pinning is possible here (Linux with `taskset` and at least two cores). */
export function canPin(): boolean {
  if (process.platform !== 'linux' || availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of process `pid` to `cpu`. Returns false when it could not. */
export function pinProcess(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * One logical CPU per physical core, in CPU order: hyperthread siblings (Linux
 * `topology/thread_siblings_list`) share a core's execution units, so a load generator on
 * the sibling of a server's CPU would slow the server as if they shared the core. Where the
 * topology cannot be read every CPU counts as a core.
 *
 * @example
 * const [serverCpu, loadCpu] = coreCpus(); // two different physical cores
 */
export function coreCpus(): number[] {
  const seen = new Set<string>();
  const result: number[] = [];
  for (let cpu = 0; cpu < cpus().length; cpu++) {
    let siblings = String(cpu);
    try {
      siblings = readFileSync(
        `/sys/devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`,
        'utf8',
      ).trim();
    } catch {}
    if (seen.has(siblings)) continue;
    seen.add(siblings);
    result.push(cpu);
  }
  return result;
}

/**
 * A `taskset` CPU list (`cpuList([0, 1, 2])` is `"0,1,2"`).
 *
 * @example
 * spawn('taskset', ['-c', cpuList(coreCpus().slice(4, 8)), 'wrk', ...args]);
 */
export function cpuList(list: readonly number[]): string {
  return list.join(',');
}

/**
 * `[command, args]` that runs `command args` confined to `cpus` (a `taskset` list) from its
 * first instruction, so every thread it makes inherits the set and `os.availableParallelism()`
 * inside it reports the set's size; unchanged when `cpus` is undefined.
 *
 * @example
 * const [file, argv] = pinnedCommand('0-1', process.execPath, ['server.mjs']);
 */
export function pinnedCommand(
  cpus: string | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cpus === undefined ? [command, [...args]] : ['taskset', ['-c', cpus, command, ...args]];
}

/**
 * The CPUs of two different physical cores (`coreCpus()`'s first two): one for the servers
 * under test, one for the load generator. `[0, 1]` where the topology has fewer.
 *
 * @example
 * const [serverCpu, loadCpu] = serverAndLoadCpus();
 */
export function serverAndLoadCpus(): [server: number, load: number] {
  const [server = 0, load = 1] = coreCpus();
  return [server, server === load ? 1 : load];
}
