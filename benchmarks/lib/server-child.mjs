/**
 * The child side of `child-process.ts`: plain JavaScript, so benchmark servers run under a
 * bare `node` on the built packages. `reportReady(server)` counts requests, answers the
 * parent's `memory` command (after two full GCs; run with `--expose-gc`) and `cpu` command
 * (the process's CPU use over a short window, to wait until it is idle) and sends
 * `{ type: 'ready', port }`.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * `require` of a dependency of one workspace package (express and fastify are
 * devDependencies of @infer/core, onnxruntime-node a dependency of @infer/runtime-onnx;
 * the root has none of them).
 */
export function requireFrom(workspacePackage, specifier) {
  return createRequire(require.resolve(`${workspacePackage}/package.json`))(specifier);
}

/** Memory after GC, in bytes, plus the requests answered. */
export function memorySnapshot(requests) {
  globalThis.gc?.();
  globalThis.gc?.();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers, requests };
}

/** CPU the whole process (worker threads included) used over `ms`, as a fraction of one core. */
export async function cpuFraction(ms = 300) {
  const before = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / (performance.now() - started);
}

/**
 * Wires the IPC protocol for `httpServer` (a `node:http` Server) and reports it ready.
 * `commands` maps extra command types to async handlers returning the reply's fields.
 */
export function reportReady(httpServer, commands = {}) {
  let requests = 0;
  httpServer.on('request', () => {
    requests += 1;
  });
  process.on('message', async (message) => {
    const type = message?.type;
    try {
      if (type === 'memory') {
        process.send({ type, ...memorySnapshot(requests) });
      } else if (type === 'cpu') {
        process.send({ type, fraction: await cpuFraction(message.ms ?? 300) });
      } else if (commands[type]) {
        process.send({ type, ...(await commands[type](message)) });
      }
    } catch (error) {
      process.send({ type, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', port: httpServer.address().port });
}
