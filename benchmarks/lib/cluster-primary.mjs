/**
 * The primary of a benchmark server that runs as several processes under `node:cluster`
 * (`infer-server.mjs`'s `serve-tuned-p<N>`, `least-server.mjs` on more than one core): it
 * forks the server processes, reports the port they share once all listen, and ends them
 * when the bench goes. It only forwards connections (round-robin); the bench counts the CPU
 * of the whole process tree (`proc-cpu.ts`). Its `cpu` answer (how busy the server is, for
 * `settle()`) is its processes' CPU from Linux's `/proc`; it answers no `memory` request.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';

/** User + system CPU seconds of a process, all threads (`/proc/<pid>/stat`, USER_HZ 100). */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU the server processes used over `ms`, as a fraction of one core. */
async function processesCpu(ms) {
  const pids = Object.values(cluster.workers ?? {}).map((worker) => worker.process.pid);
  const total = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const before = total();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  // A process that exited in the window counts 0 at its end: never below 0.
  return Math.max(0, (total() - before) / ((performance.now() - started) / 1000));
}

/**
 * Forks `processes` copies of this script and reports `{ type: 'ready', port }` once all of
 * them listen.
 */
export async function startClusterPrimary(processes) {
  const listening = [];
  for (let index = 0; index < processes; index += 1) {
    const worker = cluster.fork();
    listening.push(
      new Promise((resolve, reject) => {
        worker.once('listening', (address) => resolve(address.port));
        worker.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
      }),
    );
  }
  const [port] = await Promise.all(listening);
  process.on('message', async (message) => {
    const type = message?.type;
    if (type === 'cpu') process.send({ type, fraction: await processesCpu(message.ms ?? 300) });
    else if (type !== undefined)
      process.send({ type, error: `${type}: not answered by a cluster` });
  });
  // Ends them (SIGTERM, which ends a serve() without handleSignals at once) and exits once
  // they have: a process whose primary is gone first ends by `process.exit()`, which aborted
  // inside ONNX Runtime's worker threads ("terminate called after throwing ... Napi::Error").
  const stop = () => {
    const workers = Object.values(cluster.workers ?? {}).filter(Boolean);
    let left = workers.length;
    if (left === 0) process.exit(0);
    for (const worker of workers) {
      worker.once('exit', () => {
        left -= 1;
        if (left === 0) process.exit(0);
      });
      worker.process.kill('SIGTERM');
    }
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.send({ type: 'ready', port });
}
