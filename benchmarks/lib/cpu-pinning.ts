/**
 * CPU pinning for load benchmarks on a small machine: the servers under test on one core,
 * the load generator on another, so the kernel does not move them onto each other's core
 * between rounds (on the 2-core dev box that alone swung a bare Fastify route's req/s by 2x).
 * Linux `taskset` only; elsewhere, or with fewer than two cores, nothing is pinned.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

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
