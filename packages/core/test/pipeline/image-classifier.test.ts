import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  defineModel,
  ImageClassifier,
  InvalidInputError,
  InvalidOptionError,
  loadModel,
  type PredictResult,
} from '../../src/index';

const finch = readFileSync(new URL('../../../../fixtures/finch.jpeg', import.meta.url));

/** A stand-in classifier: the score of class c is the mean of channel c (3 classes). */
function channelMeans() {
  const seen: number[][] = [];
  const model = defineModel({
    name: 'means',
    inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 3, 8, 8] }],
    outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 3] }],
    predict(request): PredictResult {
      const input = request.inputs[0]!;
      const [n = 0] = input.shape;
      seen.push(input.shape);
      const data = input.data as Float32Array;
      const scores = new Float32Array(n * 3);
      for (let i = 0; i < n * 3; i++) {
        let sum = 0;
        for (let p = 0; p < 64; p++) sum += data[i * 64 + p]!;
        scores[i] = sum / 64;
      }
      return { outputs: [{ name: 'scores', datatype: 'FP32', shape: [n, 3], data: scores }] };
    },
  });
  return { model, seen };
}

describe('ImageClassifier', () => {
  it('decodes encoded images, runs the wrapped model once per batch and ranks the classes', async () => {
    const { model, seen } = channelMeans();
    const classifier = new ImageClassifier(model, {
      image: { width: 8, height: 8, layout: 'CHW' },
      labels: ['red', 'green', 'blue'],
      topK: 2,
      softmax: false,
    });
    await classifier.load();
    const base64 = new TextEncoder().encode(finch.toString('base64'));
    const result = await classifier.predict({
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: [finch, base64] }],
    });
    expect(seen).toEqual([[2, 3, 8, 8]]);
    const [label, probability, index] = result.outputs;
    expect(label?.shape).toEqual([2, 2]);
    const labels = (label!.data as Uint8Array[]).map((bytes) => new TextDecoder().decode(bytes));
    // raw bytes and base64 of the same image give the same answer
    expect(labels.slice(0, 2)).toEqual(labels.slice(2, 4));
    expect(['red', 'green', 'blue']).toContain(labels[0]);
    const p = probability?.data as Float32Array;
    expect(p[0]).toBeGreaterThanOrEqual(p[1]!);
    expect(p[0]).toBeGreaterThan(0);
    expect(p[0]).toBeLessThanOrEqual(1);
    expect(index?.datatype).toBe('INT32');
  });

  it('declares a BYTES image input and top-k outputs in its metadata', () => {
    const classifier = new ImageClassifier(channelMeans().model, { image: { width: 8 }, topK: 3 });
    const metadata = classifier.metadata();
    expect(metadata.inputs).toEqual([
      { name: 'image', datatype: 'BYTES', shape: [-1], parameters: { content_type: 'img' } },
    ]);
    expect(metadata.outputs.map((output) => [output.name, output.shape])).toEqual([
      ['label', [-1, 3]],
      ['probability', [-1, 3]],
      ['class_index', [-1, 3]],
    ]);
    // More classes asked for than the scores have: the answers have 3, so says the metadata.
    const five = new ImageClassifier(channelMeans().model, { image: { width: 8 }, topK: 5 });
    expect(five.metadata().outputs.map((output) => output.shape)).toEqual([
      [-1, 3],
      [-1, 3],
      [-1, 3],
    ]);
  });

  it('gives softmax probabilities that sum to 1', async () => {
    const { model } = channelMeans();
    const classifier = new ImageClassifier(model, {
      image: { width: 8, height: 8, layout: 'CHW' },
    });
    await classifier.load();
    const result = await classifier.predict({
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [finch] }],
    });
    const p = result.outputs[1]?.data as Float32Array;
    expect(p.length).toBe(3);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('rejects a request without the image input, and bytes that are not an image', async () => {
    const classifier = new ImageClassifier(channelMeans().model, {
      image: { width: 8, height: 8, layout: 'CHW' },
    });
    await classifier.load();
    await expect(
      classifier.predict({
        inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1], data: new Float32Array(1) }],
      }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      classifier.predict({
        inputs: [
          { name: 'image', datatype: 'BYTES', shape: [1], data: [new Uint8Array([1, 2, 3])] },
        ],
      }),
    ).rejects.toMatchObject({ code: 'INFER_ERR_CODEC' });
  });

  it('answers an empty image 400 alone, its batchmates still served', async () => {
    const classifier = new ImageClassifier(channelMeans().model, {
      image: { width: 8, height: 8, layout: 'CHW' },
    });
    const served = await loadModel(classifier, { batching: { maxBatchSize: 8 } });
    try {
      const image = (bytes: Uint8Array) =>
        served.predict({
          inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [bytes] }],
        });
      const results = await Promise.allSettled([
        image(finch),
        image(new Uint8Array(0)),
        image(finch),
        image(finch),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
        code: 'INFER_ERR_CODEC', // 400
        message: expect.stringMatching(/empty/),
      });
    } finally {
      await served.close();
    }
  });

  it("rebuilds in a worker from core's own folder around the wrapped model's source", () => {
    const { model } = channelMeans();
    const inner = {
      module: 'some-runtime',
      settings: { name: 'means' },
      resolveFrom: '/elsewhere',
    };
    const contexts: unknown[] = [];
    const workerSource = (context: unknown) => {
      contexts.push(context);
      return inner;
    };
    const classifier = new ImageClassifier(Object.assign(model, { workerSource }), {
      image: { width: 8, height: 8 },
    });
    const source = classifier.workerSource({ workers: 3 });
    expect(contexts).toEqual([{ workers: 3 }]);
    expect(source.module).toBe('@infer/core');
    expect(source.resolveFrom).toMatch(/packages\/core\/(src|dist)$/);
    expect((source.settings as { inner: unknown }).inner).toEqual(inner);
  });

  it('validates its options, the image options too, when it is made (not on every request)', () => {
    const { model } = channelMeans();
    expect(() => new ImageClassifier(model, { image: {}, topK: 0 })).toThrow(InvalidOptionError);
    expect(() => new ImageClassifier(model, { image: {}, topK: 0 })).toThrow(/options.topK/);
    expect(() => new ImageClassifier(model, { image: {}, labels: ['a', 2 as never] })).toThrow(
      'options.labels must be an array of strings',
    );
    for (const [image, message] of [
      [{ width: 0 }, 'options.image.width must be an integer from 1 to 65535'],
      [{ layout: 'NCHW' }, "options.image.layout must be 'HWC' or 'CHW'"],
      [
        { mean: [0.5, 0.5] },
        'options.image.mean must be a finite number or 3 finite numbers (one per channel)',
      ],
    ] as const) {
      const make = () => new ImageClassifier(model, { image: image as never });
      expect(make).toThrow(InvalidOptionError);
      expect(make).toThrow(message);
    }
  });

  it('refuses images of different sizes in one request when no width and height are set (400)', async () => {
    const { model } = channelMeans();
    const classifier = new ImageClassifier(model, { image: { layout: 'CHW' } });
    await classifier.load();
    const { loadSharp } = await import('../../../codecs/src/sharp-loader');
    const sharp = (await loadSharp()) as unknown as (options: object) => {
      png(): { toBuffer(): Promise<Uint8Array> };
    };
    const square = (size: number) =>
      sharp({ create: { width: size, height: size, channels: 3, background: '#00f' } })
        .png()
        .toBuffer();
    const images = [await square(8), await square(16)];
    const error = await classifier
      .predict({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: images }] })
      .catch((e: unknown) => e);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      'input "image": image 1 decodes to [3,16,16], image 0 to [3,8,8]; send images of one size, or set the image width and height',
    );
  });

  it("feeds a UINT8 model when the image options say dtype 'uint8'", async () => {
    const seen: string[] = [];
    const model = defineModel({
      name: 'bytes',
      inputs: [{ name: 'pixels', datatype: 'UINT8', shape: [-1, 8, 8, 3] }],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 2] }],
      predict(request): PredictResult {
        const input = request.inputs[0]!;
        seen.push(`${input.datatype} ${input.data.constructor.name} [${input.shape}]`);
        const n = input.shape[0] ?? 0;
        return {
          outputs: [
            { name: 'scores', datatype: 'FP32', shape: [n, 2], data: new Float32Array(n * 2) },
          ],
        };
      },
    });
    const classifier = new ImageClassifier(model, {
      image: { width: 8, height: 8, dtype: 'uint8' },
    });
    await classifier.load();
    const result = await classifier.predict({
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [finch] }],
    });
    expect(seen).toEqual(['UINT8 Uint8Array [1,8,8,3]']);
    expect(result.outputs[0]!.shape).toEqual([1, 2]);
  });
});
