/**
 * The server of `client-overhead.bench.ts`: `serve()` (built @infer/core) on 127.0.0.1 port
 * 0 with an FP32 identity model (`x` -> `y`, any shape, batching off), so the model costs
 * nothing next to the HTTP and codec work. Answers JSON, or binary when the request asks
 * for it (`binary_data_output`). Run as a child of the bench (IPC, see `lib/server-child.mjs`).
 */
import { defineModel, serve } from '@infer/core';
import { reportReady } from './lib/server-child.mjs';

const identity = defineModel({
  name: 'identity',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, -1] }],
  predict: (request) => [{ ...request.inputs[0], name: 'y', parameters: {} }],
  serving: { batching: false },
});

const { server } = await serve({ models: [identity], port: 0, host: '127.0.0.1' });
reportReady(server);
