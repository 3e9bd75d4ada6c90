/**
 * CPU time from Linux's `/proc`, for load tests whose generator is another program (wrk,
 * h2load): the whole box (`/proc/stat`) and single processes, all threads included
 * (`/proc/<pid>/stat`). Times there are in clock ticks of `USER_HZ`, which Linux fixes at 100
 * for user space on x86 and arm64 (`getconf CLK_TCK`).
 */
import { readdirSync, readFileSync } from 'node:fs';

const JIFFY_S = 0.01;

/** Busy jiffies of all CPUs: user, nice, system, irq, softirq, steal. */
function boxJiffies(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number) as number[];
  return user! + nice! + system! + irq! + softirq! + steal!;
}

/** The fields of `/proc/<pid>/stat` after the command name; `undefined` once it has exited. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The pids of a process's children (`/proc/<pid>/task/<tid>/children`, every thread). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((field) => field !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * User + system jiffies of a process, all threads, and of its live descendants (a server
 * that runs as several processes, e.g. under `node:cluster`); `undefined` once the process
 * has exited.
 */
function processJiffies(pid: number): number | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  let jiffies = Number(fields[11]) + Number(fields[12]);
  for (const child of childrenOf(pid)) jiffies += processJiffies(child) ?? 0;
  return jiffies;
}

/** A reading of the box and of some processes, to diff with {@link coresSince}. */
export interface CpuSnapshot {
  at: number;
  box: number;
  processes: Record<string, number>;
}

/**
 * Reads the box's and each named process's CPU time now; throws when a process is gone.
 *
 * @example
 * const before = cpuSnapshot({ server: pid });
 */
export function cpuSnapshot(pids: Record<string, number>): CpuSnapshot {
  const processes: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const jiffies = processJiffies(pid);
    if (jiffies === undefined)
      throw new Error(`${name} (pid ${pid}) exited during the measurement`);
    processes[name] = jiffies;
  }
  return { at: performance.now(), box: boxJiffies(), processes };
}

/**
 * Cores used between two snapshots (1 = one core busy for the whole interval), for the box
 * and for each process of `before`.
 *
 * @example
 * const { box, processes } = coresSince(before, cpuSnapshot({ server: pid }));
 */
export function coresSince(
  before: CpuSnapshot,
  after: CpuSnapshot,
): { box: number; processes: Record<string, number> } {
  const seconds = (after.at - before.at) / 1000;
  const cores = (a: number, b: number) => ((b - a) * JIFFY_S) / seconds;
  const processes: Record<string, number> = {};
  for (const name of Object.keys(before.processes)) {
    processes[name] = cores(before.processes[name]!, after.processes[name]!);
  }
  return { box: cores(before.box, after.box), processes };
}
