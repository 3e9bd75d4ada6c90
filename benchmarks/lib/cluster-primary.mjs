/**
 * The primary of a benchmark server that runs as several processes under `node:cluster`
 * (`infer-server.mjs`'s `serve-tuned-p<N>`, `least-server.mjs` on more than one core): it
 * forks the server processes, reports the port they share once all listen, and ends them
 * when the bench goes. It only forwards connections (round-robin); the bench counts the CPU
 * of the whole process tree (`proc-cpu.ts`), so its `cpu` answer is 0.
 */
import cluster from 'node:cluster';

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
  process.on('message', (message) => {
    if (message?.type === 'cpu') process.send({ type: 'cpu', fraction: 0 });
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
