import { fileURLToPath } from 'node:url';
import onnxRuntime from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/pool';
import type { ModelV1 } from '../../src/spec';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const settings = { name: 'mobilenet', uri: `${ROOT}models/mobilenet/model.onnx` };

function image(rows: number, seed: number): Float32Array {
  const data = new Float32Array(rows * 3 * 224 * 224);
  for (let i = 0; i < data.length; i += 1) data[i] = Math.sin(i * 0.001 + seed);
  return data;
}

describe('the real MobileNetV2 ONNX model in worker threads', () => {
  // The runtime is named by package and resolved from the repo root, as settings do.
  const pool = new WorkerPool({
    source: { module: '@infer/runtime-onnx', resolveFrom: ROOT, settings },
    workers: 2,
  });
  let local: ModelV1;

  beforeAll(async () => {
    local = await onnxRuntime.create(settings);
    await Promise.all([pool.start(), local.load()]);
  });
  afterAll(async () => {
    await Promise.all([pool.close(), local.unload()]);
  });

  it('gives the same logits as the model in-process', async () => {
    const request = (data: Float32Array) => ({
      inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [2, 3, 224, 224], data }],
    });
    const expected = await local.predict(request(image(2, 1)));
    const input = image(2, 1);
    const actual = await pool.run(request(input));
    expect(input.length).toBe(0); // moved, not cloned
    const a = actual.outputs[0]!.data as Float32Array;
    const e = expected.outputs[0]!.data as Float32Array;
    expect(actual.outputs[0]?.shape).toEqual([2, 1000]);
    let worst = 0;
    for (let i = 0; i < e.length; i += 1) worst = Math.max(worst, Math.abs(a[i]! - e[i]!));
    expect(worst).toBeLessThan(1e-4);
  });
});
