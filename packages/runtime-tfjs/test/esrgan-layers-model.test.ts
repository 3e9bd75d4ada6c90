import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { ESRGAN_X2 } from './model-files';

/** A 2x bilinear upscale (half-pixel centres, edge clamp) of an HxWx3 image. */
function bilinear2x(image: Float32Array, height: number, width: number): Float32Array {
  const out = new Float32Array(height * 2 * width * 2 * 3);
  const at = (y: number, x: number, c: number) =>
    image[
      (Math.min(Math.max(y, 0), height - 1) * width + Math.min(Math.max(x, 0), width - 1)) * 3 + c
    ] as number;
  for (let y = 0; y < height * 2; y++) {
    for (let x = 0; x < width * 2; x++) {
      const sy = (y + 0.5) / 2 - 0.5;
      const sx = (x + 0.5) / 2 - 0.5;
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const fy = sy - y0;
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        out[(y * width * 2 + x) * 3 + c] =
          (1 - fy) * ((1 - fx) * at(y0, x0, c) + fx * at(y0, x0 + 1, c)) +
          fy * ((1 - fx) * at(y0 + 1, x0, c) + fx * at(y0 + 1, x0 + 1, c));
      }
    }
  }
  return out;
}

function correlation(a: Float32Array, b: Float32Array): number {
  const mean = (v: Float32Array) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return ab / Math.sqrt(aa * bb);
}

/** A smooth 32x32 image: a diagonal red/green gradient with a soft blue disc. */
function smoothImage(size: number): Float32Array {
  const image = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const r = Math.hypot(x - size / 2, y - size / 2) / (size / 2);
      image[i] = x / (size - 1);
      image[i + 1] = y / (size - 1);
      image[i + 2] = 0.5 + 0.4 * Math.cos(Math.min(r, 1) * Math.PI);
    }
  }
  return image;
}

describe('ESRGAN-slim x2 from @upscalerjs/esrgan-slim (a real layers model)', () => {
  const model = new TfjsModel({ name: 'esrgan', path: ESRGAN_X2 });
  beforeAll(() => model.load());
  afterAll(() => model.unload());

  it('reads fully dynamic NHWC metadata from the Keras model', () => {
    const metadata = model.metadata();
    expect(metadata.platform).toBe('tfjs_layers');
    expect(metadata.inputs).toEqual([{ name: 'LR', datatype: 'FP32', shape: [-1, -1, -1, 3] }]);
    expect(metadata.outputs).toEqual([{ name: 'SR', datatype: 'FP32', shape: [-1, -1, -1, 3] }]);
    expect(metadata.parameters).toMatchObject({ format: 'layers', tfjs_version: '4.22.0' });
    expect(['tensorflow', 'wasm', 'cpu']).toContain(metadata.parameters?.backend);
  });

  it('upscales a 32x32 image to 64x64x3 that matches a bilinear upscale (r > 0.9)', async () => {
    const image = smoothImage(32);
    const { outputs } = await model.predict({
      inputs: [{ name: 'LR', datatype: 'FP32', shape: [1, 32, 32, 3], data: image }],
    });
    const sr = outputs[0];
    expect(sr?.name).toBe('SR');
    expect(sr?.datatype).toBe('FP32');
    expect(sr?.shape).toEqual([1, 64, 64, 3]);
    const r = correlation(sr?.data as Float32Array, bilinear2x(image, 32, 32));
    expect(r).toBeGreaterThan(0.9);
  });

  it('keeps a solid colour solid (every pixel within 0.1 of the colour)', async () => {
    const colour = [0.8, 0.3, 0.1];
    const image = Float32Array.from({ length: 24 * 24 * 3 }, (_, i) => colour[i % 3] as number);
    const { outputs } = await model.predict({
      inputs: [{ name: 'LR', datatype: 'FP32', shape: [1, 24, 24, 3], data: image }],
    });
    const data = outputs[0]?.data as Float32Array;
    expect(outputs[0]?.shape).toEqual([1, 48, 48, 3]);
    let worst = 0;
    // The centre, away from the zero padding at the border.
    for (let y = 4; y < 44; y++) {
      for (let x = 4; x < 44; x++) {
        for (let c = 0; c < 3; c++) {
          worst = Math.max(
            worst,
            Math.abs((data[(y * 48 + x) * 3 + c] as number) - (colour[c] as number)),
          );
        }
      }
    }
    expect(worst).toBeLessThan(0.1);
  });

  it('takes a batch and non-square sizes (every dim is dynamic)', async () => {
    const data = new Float32Array(2 * 8 * 12 * 3).fill(0.5);
    const { outputs } = await model.predict({
      inputs: [{ name: 'LR', datatype: 'FP32', shape: [2, 8, 12, 3], data }],
    });
    expect(outputs[0]?.shape).toEqual([2, 16, 24, 3]);
  });

  it('answers a request of zero rows with zero rows (Keras predict() alone fails on it)', async () => {
    const { outputs } = await model.predict({
      inputs: [{ name: 'LR', datatype: 'FP32', shape: [0, 8, 12, 3], data: new Float32Array(0) }],
    });
    expect(outputs[0]?.shape).toEqual([0, 16, 24, 3]);
    expect(outputs[0]?.data).toHaveLength(0);
  });
});
