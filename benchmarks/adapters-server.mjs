/**
 * The servers of `adapters.bench.ts`, one per process: `node adapters-server.mjs <kind>`
 * starts one on 127.0.0.1 port 0 and sends its port over IPC; any later message but `'exit'`
 * (which ends the process) is answered with `{ cpu, ms }`: this process's CPU time so far
 * (user + system, µs) and `performance.now()` (see `serverClock`). Plain `node` on the built
 * packages, as users run them: under the bench's `tsx`, `serve()` measured about 30% more
 * CPU per request than under plain `node` with the very same built code (bare Fastify the
 * same under both), and tsx also maps `@infer/*` to the sources.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const PATH = '/v2/models/identity/infer';
const kind = process.argv[2];

/** The in-process identity model: FP32 [-1, 16] in, the same out. */
async function identityModel(batching = true) {
  const { defineModel } = await import('@infer/core');
  return defineModel({
    name: 'identity',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 16] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 16] }],
    ...(batching ? {} : { serving: { batching: false } }),
    predict: (request) => [{ ...request.inputs[0], name: 'y' }],
  });
}

const echo = (body) => ({ model_name: 'identity', outputs: body.inputs });

/** fastify is a devDependency of @infer/core, not of the root: resolve it from there. */
function loadFastify() {
  const fromCore = createRequire(
    createRequire(import.meta.url).resolve('@infer/core/package.json'),
  );
  return fromCore('fastify');
}

function listen(server) {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(server.address().port)),
  );
}

/** Starts the server of `kind` and resolves with its port. */
async function start() {
  if (kind === 'serve' || kind === 'serve-unbatched') {
    const { serve } = await import('@infer/core');
    const server = await serve({ models: [await identityModel(kind === 'serve')], port: 0 });
    return server.server.address().port;
  }
  if (kind === 'node-adapter-echo') {
    // createNodeHandler over a service that does what the bare routes do: the adapter's own cost.
    const { createNodeHandler } = await import('@infer/core/node');
    const decoder = new TextDecoder();
    const service = {
      handle: async (request) => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(echo(JSON.parse(decoder.decode(request.body)))),
      }),
    };
    return listen(createServer(createNodeHandler(service)));
  }
  if (kind === 'node-bare') {
    return listen(
      createServer((request, response) => {
        const chunks = [];
        request.on('data', (chunk) => chunks.push(chunk));
        request.on('end', () => {
          const body = JSON.stringify(echo(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
        });
      }),
    );
  }
  const app = loadFastify()();
  if (kind === 'fastify-bare') {
    app.post(PATH, async (request) => echo(request.body));
  } else if (kind === 'fastify-plugin') {
    const { InferenceService, ModelRepository } = await import('@infer/core');
    const { inferPlugin } = await import('@infer/core/fastify');
    const repository = new ModelRepository();
    repository.add(await identityModel());
    await repository.loadAll();
    await app.register(inferPlugin, { service: new InferenceService({ repository }) });
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server.address().port;
}

const port = await start();
process.on('message', (message) => {
  // 'exit' (young-gen.bench.ts): exit normally, so V8's buffered GC trace reaches its file.
  if (message === 'exit') process.exit(0);
  const { user, system } = process.cpuUsage();
  // ms: this process's clock (since it started), the time base of V8's GC trace.
  process.send?.({ cpu: user + system, ms: performance.now() });
});
process.send?.(port);
