import { encodeInferenceRequest } from '@infer/codecs';
import { InferenceService, ModelRepository, type ServiceResponse } from '@infer/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel } from '../src/index';
import { CENTERNET, ESRGAN_X2, FINCH_JPEG } from './model-files';

const text = (response: ServiceResponse) =>
  typeof response.body === 'string' ? response.body : new TextDecoder().decode(response.body);

describe('TF.js models served over OIP through InferenceService.handle', () => {
  const repository = new ModelRepository();
  const service = new InferenceService({ repository });
  beforeAll(async () => {
    repository.add(new TfjsModel({ name: 'esrgan', path: ESRGAN_X2 }));
    repository.add(new TfjsModel({ name: 'centernet', path: CENTERNET }));
    const failures = await repository.loadAll();
    expect(failures).toEqual([]);
  }, 120_000);
  afterAll(() => service.shutdown({ closeRepository: true }));
  /** POSTs a JSON inference request to esrgan. */
  const postEsrgan = (request: object) =>
    service.handle({
      method: 'POST',
      path: '/v2/models/esrgan/infer',
      headers: { 'content-type': 'application/json' },
      body: new TextEncoder().encode(JSON.stringify(request)),
    });

  it('GET /v2/models/esrgan gives the layers model metadata with the backend', async () => {
    const response = await service.handle({
      method: 'GET',
      path: '/v2/models/esrgan',
      headers: {},
    });
    expect(response.status).toBe(200);
    const metadata = JSON.parse(text(response));
    expect(metadata).toMatchObject({
      name: 'esrgan',
      platform: 'tfjs_layers',
      inputs: [{ name: 'LR', datatype: 'FP32', shape: [-1, -1, -1, 3] }],
      outputs: [{ name: 'SR', datatype: 'FP32', shape: [-1, -1, -1, 3] }],
      parameters: { backend: 'wasm', format: 'layers' },
    });
  });

  it('POST /v2/models/esrgan/infer (JSON) upscales a solid colour to the same colour, 2x', async () => {
    const data = Array.from({ length: 16 * 16 * 3 }, (_, i) => [0.2, 0.6, 0.9][i % 3]);
    const response = await postEsrgan({
      id: 'r1',
      inputs: [{ name: 'LR', datatype: 'FP32', shape: [1, 16, 16, 3], data }],
    });
    expect(response.status).toBe(200);
    const result = JSON.parse(text(response));
    expect(result).toMatchObject({ model_name: 'esrgan', id: 'r1' });
    expect(result.outputs[0]).toMatchObject({
      name: 'SR',
      datatype: 'FP32',
      shape: [1, 32, 32, 3],
    });
    const centre = (result.outputs[0].data as number[]).slice(
      (16 * 32 + 16) * 3,
      (16 * 32 + 16) * 3 + 3,
    );
    for (const [c, value] of centre.entries()) {
      expect(Math.abs(value - ([0.2, 0.6, 0.9][c] as number))).toBeLessThan(0.1);
    }
  });

  it('an empty "outputs" list asks for every output, as with no list (and as for ONNX)', async () => {
    const infer = async (outputs: object) => {
      const response = await postEsrgan({
        inputs: [
          { name: 'LR', datatype: 'FP32', shape: [1, 2, 2, 3], data: new Array(12).fill(0.5) },
        ],
        ...outputs,
      });
      expect(response.status).toBe(200);
      return JSON.parse(text(response)).outputs.map((o: { name: string; shape: number[] }) => [
        o.name,
        o.shape,
      ]);
    };
    expect(await infer({ outputs: [] })).toEqual([['SR', [1, 4, 4, 3]]]);
    expect(await infer({})).toEqual([['SR', [1, 4, 4, 3]]]);
  });

  it('answers 400 naming the input when the datatype does not fit', async () => {
    const response = await postEsrgan({
      inputs: [{ name: 'LR', datatype: 'INT32', shape: [1, 1, 1, 3], data: [1, 2, 3] }],
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(text(response)).error).toMatch(/input "LR" must be FP32 \[-1,-1,-1,3\]/);
  });

  it('POST /v2/models/centernet/infer (binary extension) finds the finch: top detection is a bird', async () => {
    const pixels = await sharp(FINCH_JPEG)
      .resize(512, 512, { fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer();
    const { body, headers } = encodeInferenceRequest(
      {
        inputs: [
          {
            name: 'tower_0/images',
            datatype: 'FP32',
            shape: [1, 512, 512, 3],
            data: Float32Array.from(pixels),
          },
        ],
        outputs: [{ name: 'tower_0/detections' }],
      },
      { binary: true },
    );
    const response = await service.handle({
      method: 'POST',
      path: '/v2/models/centernet/infer',
      headers,
      body,
    });
    expect(response.status).toBe(200);
    const output = JSON.parse(text(response)).outputs[0];
    expect(output).toMatchObject({ name: 'tower_0/detections', shape: [1, 100, 6] });
    const rows: number[][] = [];
    for (let i = 0; i < 100; i++) rows.push(output.data.slice(i * 6, i * 6 + 6));
    const top = rows.sort((a, b) => (b[4] as number) - (a[4] as number))[0] as number[];
    expect(top[5]).toBe(14); // COCO "bird"
    expect(top[4]).toBeGreaterThan(0.3);
  });
});
