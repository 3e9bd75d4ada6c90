/**
 * The naive baseline of `serving.bench.ts`: what a careful user writes by hand without a
 * model server, and what the MLServer docs warn against. One Express route that
 * JSON-parses the OIP request body (`express.json()`), builds an ORT tensor from the
 * `data` array and calls `session.run` per request (no batching, no workers), then writes
 * the OIP response as JSON. Threads are set explicitly (intra-op 2 = the cores here, as a
 * careful user would); `--ort-defaults` leaves ONNX Runtime's defaults instead.
 *
 * Run: `node benchmarks/naive-express-server.mjs [--ort-defaults]` as a child of the bench
 * (it reports its port over IPC); the model is `models/mobilenet/model.onnx`.
 */
import { fileURLToPath } from 'node:url';
import { reportReady, requireFrom } from './lib/server-child.mjs';

const express = requireFrom('@infer/core', 'express');
const ort = requireFrom('@infer/runtime-onnx', 'onnxruntime-node');
const MODEL = fileURLToPath(new URL('../models/mobilenet/model.onnx', import.meta.url));
const ortDefaults = process.argv.includes('--ort-defaults');

const session = await ort.InferenceSession.create(
  MODEL,
  ortDefaults ? {} : { intraOpNumThreads: 2, interOpNumThreads: 1 },
);
const app = express();
app.use(express.json({ limit: '64mb' }));
app.post('/v2/models/mobilenet/infer', async (req, res) => {
  try {
    const input = req.body.inputs[0];
    const tensor = new ort.Tensor('float32', Float32Array.from(input.data), input.shape);
    const results = await session.run({ [input.name]: tensor });
    const output = results.output;
    res.json({
      model_name: 'mobilenet',
      outputs: [
        { name: 'output', datatype: 'FP32', shape: output.dims, data: Array.from(output.data) },
      ],
    });
  } catch (error) {
    res.status(400).json({ error: String(error) });
  }
});
const server = app.listen(0, '127.0.0.1', () => reportReady(server));
