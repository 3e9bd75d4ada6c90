import { readFileSync } from 'node:fs';
import { createClient, defineSchema, textOf } from '@infer/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../app.js';

const FINCH = readFileSync(new URL('../../../fixtures/finch.jpeg', import.meta.url));
const FINCH_LABEL = 'house finch, linnet, Carpodacus mexicanus';

/** What the ImageClassifier serves: one encoded image in, the top 5 out. */
const mobilenetSchema = defineSchema({
  inputs: { image: { datatype: 'BYTES', shape: [-1] } },
  outputs: {
    label: { datatype: 'BYTES', shape: [-1, 5] },
    probability: { datatype: 'FP32', shape: [-1, 5] },
    class_index: { datatype: 'INT32', shape: [-1, 5] },
  },
} as const);

let app: Awaited<ReturnType<typeof start>>;
let mobilenet: ReturnType<typeof mobilenetOf>;

/** The OIP routes are mounted under /ml, so the client's base URL carries the prefix. */
function mobilenetOf(url: string) {
  return createClient({ baseUrl: `${url}/ml`, timeoutMs: 20_000 }).model(
    'mobilenet',
    mobilenetSchema,
  );
}

beforeAll(async () => {
  app = await start({ port: 0 });
  mobilenet = mobilenetOf(app.url);
});
afterAll(async () => {
  await app?.close();
});

function upload(bytes: Uint8Array, filename: string, field = 'image_file') {
  const form = new FormData();
  form.append(field, new Blob([bytes], { type: 'image/jpeg' }), filename);
  return fetch(`${app.url}/classify`, { method: 'POST', body: form });
}

/** The raw JPEG as one BYTES element: the client sends it with the binary extension. */
function oipInfer(bytes: Uint8Array) {
  return mobilenet.infer({ image: bytes });
}

describe('express-onnx example', () => {
  it("keeps the app's own routes: GET / is the app's page", async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('action="/classify"');
  });

  it('serves OIP under /ml: an infer with the JPEG as a BYTES element says house finch first', async () => {
    const { model_name, outputs } = await oipInfer(FINCH);
    expect(model_name).toBe('mobilenet');
    expect(outputs.label.shape).toEqual([1, 5]);
    expect(textOf(outputs.label)[0]).toBe(FINCH_LABEL);
    expect(outputs.class_index.data[0]).toBe(12);
    expect(outputs.probability.data[0]).toBeGreaterThan(0.9);
  });

  it('also takes the image as base64 text in an OIP JSON request', async () => {
    const base64 = Buffer.from(FINCH).toString('base64');
    const { outputs } = await mobilenet.infer(
      { image: base64 },
      { binary: false, outputs: ['label'] },
    );
    expect(textOf(outputs.label)[0]).toBe(FINCH_LABEL);
  });

  it('POST /classify takes a multipart upload and answers the top-5 labels, house finch first', async () => {
    const response = await upload(FINCH, 'finch.jpeg');
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      filename: string;
      predictions: { label: string; probability: number; class_index: number }[];
    };
    expect(body.filename).toBe('finch.jpeg');
    expect(body.predictions).toHaveLength(5);
    expect(body.predictions[0]).toMatchObject({ label: FINCH_LABEL, class_index: 12 });
    expect(body.predictions[0]!.probability).toBeGreaterThan(0.9);
    const probabilities = body.predictions.map((p) => p.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
  });

  it('answers uploads and OIP requests sent at the same time (they share one batcher)', async () => {
    const [a, b, c, d] = await Promise.all([
      upload(FINCH, 'a.jpeg'),
      oipInfer(FINCH),
      upload(FINCH, 'b.jpeg'),
      oipInfer(FINCH),
    ]);
    for (const response of [a, c]) {
      const body = (await response!.json()) as { predictions: { label: string }[] };
      expect(body.predictions[0]!.label).toBe(FINCH_LABEL);
    }
    for (const result of [b, d]) {
      expect(textOf(result!.outputs.label)[0]).toBe(FINCH_LABEL);
    }
  });

  it('answers 400 with an error body for a missing file or a file that is not an image', async () => {
    const missing = await upload(FINCH, 'finch.jpeg', 'other_field');
    // multer rejects an unexpected field before the route runs; the app's handler maps it.
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'Unexpected file field (field "other_field")' });
    const empty = await fetch(`${app.url}/classify`, { method: 'POST', body: new FormData() });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      error: 'send an image as the multipart field "image_file"',
    });
    const text = await upload(new TextEncoder().encode('{"not": "an image"}'), 'x.json');
    expect(text.status).toBe(400);
    expect(((await text.json()) as { error: string }).error).toMatch(/image|base64/);
  });

  // Last: it unloads the model.
  it('POST /classify answers 503 with an error body once the model is unloaded', async () => {
    await app.repository.unload('mobilenet');
    const response = await upload(FINCH, 'finch.jpeg');
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/mobilenet/);
  });
});
