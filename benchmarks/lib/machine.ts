/** The machine a benchmark ran on, for the results file and the report header. */
import { cpus, loadavg, totalmem } from 'node:os';

/** Node version, cores, CPU model, memory and the 1-minute load average at call time. */
export interface MachineInfo {
  node: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  loadavg1: number;
}

/**
 * Describes this machine now (load average included: the 2 cores here are shared).
 *
 * @example
 * console.log(describeMachine(machineInfo())); // "node v20.20.2, 2 x AMD EPYC, load 12.3"
 */
export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadavg1: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

/** One line for logs. */
export function describeMachine(info: MachineInfo): string {
  return `node ${info.node}, ${info.nproc} x ${info.cpuModel}, ${info.memoryGiB} GiB, load ${info.loadavg1}`;
}

/** Samples the 1-minute load average every `everyMs` until stopped: min, max, mean. */
export function watchLoad(everyMs = 2000): () => { min: number; max: number; mean: number } {
  const samples: number[] = [loadavg()[0] ?? 0];
  const timer = setInterval(() => samples.push(loadavg()[0] ?? 0), everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    samples.push(loadavg()[0] ?? 0);
    const round = (value: number) => Number(value.toFixed(2));
    return {
      min: round(Math.min(...samples)),
      max: round(Math.max(...samples)),
      mean: round(samples.reduce((sum, value) => sum + value, 0) / samples.length),
    };
  };
}
