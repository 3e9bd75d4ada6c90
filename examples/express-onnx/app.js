// An existing Express app that adds ML to itself in two ways:
// 1. it mounts the Open Inference Protocol routes under /ml (`inferRouter`), and
// 2. its own route POST /classify takes a multipart image upload and calls the served
//    model in-process (`repository.get('mobilenet').predict()`): no HTTP round trip, but
//    the same batcher as /ml, so uploads and OIP requests share batches.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  errorHeadersOf,
  httpStatusOf,
  ImageClassifier,
  InferenceService,
  ModelRepository,
  toErrorBody,
} from '@infer/core';
import { inferRouter } from '@infer/core/express';
import { OnnxModel } from '@infer/runtime-onnx';
import express from 'express';
import multer from 'multer';

/** The repository's bundled MobileNetV2 (ONNX, ImageNet); `INFER_MODEL_DIR` points elsewhere. */
export const MODEL_DIR =
  process.env.INFER_MODEL_DIR ?? fileURLToPath(new URL('../../models/mobilenet/', import.meta.url));

/** MobileNetV2's preprocessing: 224x224 RGB, CHW, scaled to 0..1, then ImageNet mean/std. */
const IMAGE = {
  width: 224,
  height: 224,
  layout: 'CHW',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Largest upload accepted by POST /classify, in bytes. */
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

const page = `<!doctype html>
<title>express-onnx</title>
<h1>My Express app</h1>
<form method="post" action="/classify" enctype="multipart/form-data">
  <input type="file" name="image_file" accept="image/*" required>
  <button>Classify</button>
</form>
<p>OIP routes: <a href="/ml/v2">/ml/v2</a>, <a href="/ml/v2/models/mobilenet">/ml/v2/models/mobilenet</a>, <a href="/ml/v2/docs">/ml/v2/docs</a></p>
`;

/**
 * Builds the app: loads MobileNetV2 behind an `ImageClassifier`, mounts the OIP routes
 * under `/ml`, and adds the app's own `GET /` and `POST /classify`.
 *
 * @param {{ modelDir?: string }} [options]
 */
export async function createApp({ modelDir = MODEL_DIR } = {}) {
  const labels = JSON.parse(await readFile(join(modelDir, 'labels.json'), 'utf8'));
  const repository = new ModelRepository();
  repository.add(
    new ImageClassifier(new OnnxModel({ name: 'mobilenet', path: join(modelDir, 'model.onnx') }), {
      image: IMAGE,
      labels,
      topK: 5,
    }),
    // Concurrent uploads and OIP requests are run together, up to 8 images per batch.
    { batching: { maxBatchSize: 8, maxBatchDelayMs: 2 } },
  );
  await repository.load('mobilenet');
  const service = new InferenceService({ repository, openapiServerUrl: '/ml' });

  const app = express();
  app.get('/', (_request, response) => {
    response.type('html').send(page);
  });

  app.use('/ml', inferRouter(service));

  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1 },
  });
  app.post('/classify', upload.single('image_file'), async (request, response, next) => {
    if (!request.file) {
      response.status(400).json({ error: 'send an image as the multipart field "image_file"' });
      return;
    }
    // Stop waiting (and skip the work if still queued) when the client goes away.
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    try {
      const model = repository.get('mobilenet');
      const { outputs } = await model.predict(
        {
          inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [request.file.buffer] }],
        },
        { signal: controller.signal },
      );
      response.json({ filename: request.file.originalname, predictions: topK(outputs) });
    } catch (error) {
      next(error);
    }
  });

  // The app's own error handler: @infer errors carry their HTTP status (400 for an image
  // that does not decode, 503 when overloaded...); upload errors are the client's (413 for
  // a file over the limit, 400 for a wrong field name).
  app.use((error, _request, response, _next) => {
    if (error instanceof multer.MulterError) {
      const status = error.code === 'LIMIT_FILE_SIZE' ? 413 : 400;
      response.status(status).json({ error: `${error.message} (field "${error.field}")` });
      return;
    }
    response.status(httpStatusOf(error)).set(errorHeadersOf(error)).json(toErrorBody(error));
  });

  return {
    app,
    service,
    repository,
    /** Drains in-flight requests and unloads the model. */
    close: () => service.shutdown({ timeoutMs: 10_000 }),
  };
}

/**
 * The five best classes of the single image in a classifier response.
 *
 * @param {import('@infer/core').PredictResult['outputs']} outputs
 */
function topK(outputs) {
  const byName = Object.fromEntries(outputs.map((output) => [output.name, output.data]));
  const decoder = new TextDecoder();
  return Array.from(byName.label, (label, rank) => ({
    label: decoder.decode(label),
    probability: Number(byName.probability[rank].toFixed(4)),
    class_index: byName.class_index[rank],
  }));
}

/**
 * Creates the app and listens on `host:port` (`port: 0` picks a free one).
 *
 * @param {{ port?: number; host?: string; modelDir?: string }} [options]
 */
export async function start({ port = 3000, host = '127.0.0.1', modelDir } = {}) {
  const created = await createApp(modelDir === undefined ? {} : { modelDir });
  const server = createServer(created.app);
  try {
    server.listen(port, host);
    await once(server, 'listening');
  } catch (error) {
    await created.close(); // e.g. EADDRINUSE: unload the model before giving up
    throw error;
  }
  const address = server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    ...created,
    server,
    url,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      await created.close();
      await closed;
    },
  };
}
