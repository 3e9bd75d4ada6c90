import { createClient, defineSchema, type ModelClient } from '@infer/client';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../app.js';

/** ESRGAN-slim x2: an NHWC RGB image (0..1) in, the same image at twice the size out. */
const esrganSchema = defineSchema({
  inputs: { LR: { datatype: 'FP32', shape: [-1, -1, -1, 3] } },
  outputs: { SR: { datatype: 'FP32', shape: [-1, -1, -1, 3] } },
} as const);

// Worker threads load the built packages: `pnpm build` first (`pnpm test` does it).
let app: Awaited<ReturnType<typeof start>>;
let esrgan: ModelClient<typeof esrganSchema>;

beforeAll(async () => {
  app = await start({ port: 0 });
  // The OIP routes are mounted under /ml: the prefix is part of the base URL.
  esrgan = createClient({ baseUrl: `${app.url}/ml`, timeoutMs: 20_000 }).model(
    'esrgan',
    esrganSchema,
  );
});
afterAll(async () => {
  await app?.close();
});

/** One flat grey `size` x `size` image (3 KiB at 16x16: the client sends it binary). */
function infer(size: number, fill: number) {
  const pixels = new Float32Array(size * size * 3).fill(fill);
  return esrgan.infer({ LR: { data: pixels, shape: [1, size, size, 3] } });
}

describe('fastify-tfjs example', () => {
  it('serves ESRGAN with batching on and two worker threads', async () => {
    const served = app.repository.get('esrgan');
    expect(served.pool?.size).toBe(2);
    const metadata = await esrgan.metadata();
    expect(metadata.parameters).toMatchObject({
      format: 'layers',
      batchable: true,
      max_batch_size: 4,
      workers: 2,
    });
  });

  it('OIP infer on a 16x16 image returns a [1, 32, 32, 3] upscale', async () => {
    const { model_name, outputs } = await infer(16, 0.5);
    expect(model_name).toBe('esrgan');
    const { SR: sr } = outputs;
    expect(sr).toMatchObject({ name: 'SR', datatype: 'FP32', shape: [1, 32, 32, 3] });
    expect(sr.data).toBeInstanceOf(Float32Array);
    expect(sr.data).toHaveLength(32 * 32 * 3);
    // A flat grey stays grey away from the border.
    expect(sr.data[(16 * 32 + 16) * 3]).toBeCloseTo(0.5, 1);
  });

  it('answers concurrent OIP requests, each caller getting its own image back', async () => {
    const results = await Promise.all([0.2, 0.4, 0.6, 0.8].map((fill) => infer(16, fill)));
    results.forEach(({ outputs }, index) => {
      expect(outputs.SR.shape).toEqual([1, 32, 32, 3]);
      // Each caller gets its own image back, not a neighbour's from the batch.
      expect(outputs.SR.data[(16 * 32 + 16) * 3]).toBeCloseTo(0.2 * (index + 1), 1);
    });
  });

  it('POST /upscale turns an uploaded 24x20 image into a 48x40 PNG of the same colour', async () => {
    const colour = { r: 200, g: 80, b: 30 };
    const png = await sharp({ create: { width: 24, height: 20, channels: 3, background: colour } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('image_file', new Blob([png], { type: 'image/png' }), 'small.png');
    const response = await fetch(`${app.url}/upscale`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-input-size')).toBe('24x20');
    const out = Buffer.from(await response.arrayBuffer());
    const metadata = await sharp(out).metadata();
    expect(metadata).toMatchObject({ format: 'png', width: 48, height: 40 });
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const centre = (20 * 48 + 24) * 3;
    expect(Math.abs(data[centre]! - colour.r)).toBeLessThan(26);
    expect(Math.abs(data[centre + 1]! - colour.g)).toBeLessThan(26);
    expect(Math.abs(data[centre + 2]! - colour.b)).toBeLessThan(26);
  });

  it('POST /upscale answers 400 for a file that is not an image', async () => {
    const form = new FormData();
    form.append('image_file', new Blob(['hello']), 'hello.txt');
    const response = await fetch(`${app.url}/upscale`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/not an image/);
  });

  it('POST /upscale answers 415 for a raw image body (it takes multipart)', async () => {
    const response = await fetch(`${app.url}/upscale`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(response.status).toBe(415);
  });

  // Last: it unloads the model.
  it('POST /upscale answers 503 with an error body once the model is unloaded', async () => {
    await app.repository.unload('esrgan');
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('image_file', new Blob([png], { type: 'image/png' }), 'white.png');
    const response = await fetch(`${app.url}/upscale`, { method: 'POST', body: form });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/esrgan/);
  });
});
