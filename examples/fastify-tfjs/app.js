// A Fastify app serving a TF.js model: ESRGAN-slim x2 super-resolution, a Keras layers model
// from npm (@upscalerjs/esrgan-slim). The OIP routes come from the `@infer/core/fastify`
// plugin under /ml; requests are batched and run on two worker threads, each holding its own
// copy of the model (rebuilt from `TfjsModel.workerSource()`), so the event loop stays free.
// The app's own route POST /upscale takes an image upload and answers a PNG twice the size.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import multipart from '@fastify/multipart';
import {
  errorHeadersOf,
  httpStatusOf,
  InferError,
  InferenceService,
  ModelRepository,
  toErrorBody,
} from '@infer/core';
import { inferPlugin } from '@infer/core/fastify';
import { TfjsModel } from '@infer/runtime-tfjs';
import Fastify from 'fastify';
import sharp from 'sharp';

/** Where npm put the ESRGAN-slim x2 model (`models/x2/model.json` and its weights). */
export const ESRGAN_X2 = join(packageDir('@upscalerjs/esrgan-slim'), 'models', 'x2');

/** Largest upload accepted by POST /upscale, in bytes. */
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Builds the app (not listening yet): the ESRGAN model served with batching and `workers`
 * worker threads, OIP under `/ml`, and the app's own `GET /` and `POST /upscale`.
 *
 * @param {{ workers?: number; maxInputSide?: number; logger?: boolean | object }} [options]
 *   `workers`: worker threads (default 2); `maxInputSide`: images larger than this many
 *   pixels on a side are shrunk to fit before upscaling (default 256; ESRGAN on CPU takes
 *   seconds for a 256x256 image); `logger`: Fastify's logger option (default off).
 */
export async function createApp({ workers = 2, maxInputSide = 256, logger = false } = {}) {
  const app = Fastify({ logger });
  // @infer logs through Fastify's pino logger.
  const repository = new ModelRepository({ logger: app.log });
  repository.add(new TfjsModel({ name: 'esrgan', path: ESRGAN_X2 }), {
    workers,
    // Same-size images that arrive together run as one batch (up to 4 images).
    batching: { maxBatchSize: 4, maxBatchDelayMs: 5 },
  });
  await repository.load('esrgan');
  const service = new InferenceService({ repository, logger: app.log, openapiServerUrl: '/ml' });
  app.addHook('onClose', () => service.shutdown({ timeoutMs: 10_000 }));

  // The app's own routes: @infer errors (503 overloaded, 504 timeout...) keep their status;
  // anything else goes to Fastify's default handler. The plugin has its own handler.
  app.setErrorHandler((error, _request, reply) => {
    if (!InferError.isInstance(error)) return reply.send(error);
    return reply.code(httpStatusOf(error)).headers(errorHeadersOf(error)).send(toErrorBody(error));
  });
  await app.register(inferPlugin, { service, prefix: '/ml' });
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1 } });

  app.get('/', async () => ({
    app: 'fastify-tfjs',
    routes: {
      upscale: 'POST /upscale (multipart field "image_file") -> image/png, 2x',
      oip: '/ml/v2/models/esrgan',
      docs: '/ml/v2/docs',
    },
  }));

  app.post('/upscale', async (request, reply) => {
    const file = await request.file();
    if (file === undefined) {
      return reply.code(400).send({ error: 'send an image as the multipart field "image_file"' });
    }
    const bytes = await file.toBuffer();
    let pixels;
    try {
      pixels = await sharp(bytes)
        .rotate() // honour EXIF orientation
        .removeAlpha()
        .toColourspace('srgb')
        .resize({
          width: maxInputSide,
          height: maxInputSide,
          fit: 'inside',
          withoutEnlargement: true,
        })
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (error) {
      return reply.code(400).send({ error: `not an image: ${error.message}` });
    }
    const { width, height } = pixels.info;
    // ESRGAN takes FP32 NHWC in [0, 1].
    const input = new Float32Array(pixels.data.length);
    for (let i = 0; i < input.length; i++) input[i] = pixels.data[i] / 255;
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    const { outputs } = await repository.get('esrgan').predict(
      { inputs: [{ name: 'LR', datatype: 'FP32', shape: [1, height, width, 3], data: input }] },
      // `transfer`: nobody reads `input` afterwards, so its buffer moves to the worker.
      { signal: controller.signal, transfer: true },
    );
    const [, outHeight, outWidth] = outputs[0].shape;
    const rgb = Uint8ClampedArray.from(outputs[0].data, (value) => Math.round(value * 255));
    const png = await sharp(Buffer.from(rgb.buffer), {
      raw: { width: outWidth, height: outHeight, channels: 3 },
    })
      .png()
      .toBuffer();
    return reply
      .type('image/png')
      .header('x-input-size', `${width}x${height}`)
      .header('x-output-size', `${outWidth}x${outHeight}`)
      .send(png);
  });

  return { app, service, repository };
}

/**
 * Creates the app and listens on `host:port` (`port: 0` picks a free one).
 *
 * @param {{ port?: number; host?: string; workers?: number; maxInputSide?: number; logger?: boolean | object }} [options]
 */
export async function start({ port = 3000, host = '127.0.0.1', ...options } = {}) {
  const created = await createApp(options);
  let url;
  try {
    url = await created.app.listen({ port, host });
  } catch (error) {
    await created.app.close(); // e.g. EADDRINUSE: stop the workers before giving up
    throw error;
  }
  return { ...created, url, close: () => created.app.close() };
}

/** The root directory of an installed package (its `exports` hide `package.json`). */
function packageDir(name) {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === name) {
      return dir;
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find the installed package ${name}`);
}
