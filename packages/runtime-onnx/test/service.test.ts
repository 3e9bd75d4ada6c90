import { InferenceService, ModelRepository, type ServiceResponse } from '@infer/core';
import onnx, { OnnxModel } from '@infer/runtime-onnx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax, finchPixels, MOBILENET, SILERO_VAD, speechSamples } from './__fixtures__/inputs';

/** The JSON fields these tests read (OIP inference response, model metadata, error). */
interface OipJson {
  model_name?: string;
  id?: string;
  name?: string;
  error: string;
  parameters?: Record<string, unknown>;
  outputs: { name: string; datatype: string; shape: number[]; data: number[] }[];
}

const repository = new ModelRepository();
const service = new InferenceService({ repository });

async function post(path: string, body: unknown): Promise<{ status: number; json: OipJson }> {
  const response: ServiceResponse = await service.handle({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: new TextEncoder().encode(JSON.stringify(body)),
  });
  const text =
    typeof response.body === 'string' ? response.body : new TextDecoder().decode(response.body);
  return { status: response.status, json: JSON.parse(text) };
}

async function get(path: string): Promise<{ status: number; json: OipJson }> {
  const response = await service.handle({ method: 'GET', path, headers: {} });
  const text =
    typeof response.body === 'string' ? response.body : new TextDecoder().decode(response.body);
  return { status: response.status, json: JSON.parse(text) };
}

let pixels: number[];
beforeAll(async () => {
  repository.add(new OnnxModel({ name: 'mobilenet', path: MOBILENET, intraOpThreads: 1 }));
  // The second model comes in through the runtime plugin, as model settings would name it.
  repository.add(
    await onnx.create({ name: 'vad', uri: SILERO_VAD, parameters: { intraOpThreads: 1 } }),
  );
  const failures = await repository.loadAll();
  expect(failures).toEqual([]);
  pixels = Array.from(await finchPixels());
});
afterAll(() => repository.close());

describe('OIP JSON over InferenceService.handle (in process)', () => {
  it('MobileNet gives class 12 for the finch', async () => {
    const { status, json } = await post('/v2/models/mobilenet/infer', {
      id: 'finch-1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }],
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ model_name: 'mobilenet', id: 'finch-1' });
    expect(json.outputs[0]).toMatchObject({ name: 'output', datatype: 'FP32', shape: [1, 1000] });
    expect(argmax(json.outputs[0]!.data).index).toBe(12);
  });

  it('the classification extension gives the top 3 of the finch as "value:index" strings', async () => {
    const { status, json } = await post('/v2/models/mobilenet/infer', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }],
      outputs: [{ name: 'output', parameters: { classification: 3 } }],
    });
    expect(status).toBe(200);
    const output = json.outputs[0] as unknown as {
      datatype: string;
      shape: number[];
      data: string[];
    };
    expect(output).toMatchObject({ datatype: 'BYTES', shape: [1, 3] });
    const [value, index] = output.data[0]!.split(':');
    expect(index).toBe('12');
    expect(Number(value)).toBeGreaterThan(16.9);
    expect(Number(value)).toBeLessThan(17.4);
    const values = output.data.map((entry) => Number(entry.split(':')[0]));
    expect([...values].sort((a, b) => b - a)).toEqual(values);
  });

  it('concurrent requests (batched by core along the dynamic dim) each get class 12', async () => {
    const body = {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 224, 224], data: pixels }],
    };
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => post('/v2/models/mobilenet/infer', body)),
    );
    for (const { status, json } of responses) {
      expect(status).toBe(200);
      expect(json.outputs[0]!.shape).toEqual([1, 1000]);
      expect(argmax(json.outputs[0]!.data).index).toBe(12);
    }
  });

  it('model metadata shows dynamic dims as -1 and the execution provider', async () => {
    const { status, json } = await get('/v2/models/mobilenet');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      name: 'mobilenet',
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 1000] }],
    });
    expect(json.parameters).toMatchObject({ execution_provider: 'cpu' });
  });

  it('a wrong shape is a 400 naming the input, never ORT text', async () => {
    const { status, json } = await post('/v2/models/mobilenet/infer', {
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 3, 2, 2], data: new Array(12).fill(0) },
      ],
    });
    expect(status).toBe(400);
    expect(json.error).toContain('"input"');
    expect(json.error).toContain('FP32 [-1,3,224,224]');
  });

  it('Silero VAD hears speech in the middle of the clip and none in its first second', async () => {
    const samples = speechSamples();
    const at = async (second: number) => {
      // One 512-sample window (with 64 samples of context) from a fresh state.
      const start = Math.round(second * 16_000);
      const { status, json } = await post('/v2/models/vad/infer', {
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1, 576],
            data: Array.from(samples.subarray(start - 64, start + 512)),
          },
          { name: 'state', datatype: 'FP32', shape: [2, 1, 128], data: new Array(256).fill(0) },
          { name: 'sr', datatype: 'INT64', shape: [], data: [16000] },
        ],
        outputs: [{ name: 'output' }],
      });
      expect(status).toBe(200);
      expect(json.outputs.map((output) => output.name)).toEqual(['output']);
      return json.outputs[0]!.data[0]!;
    };
    expect(await at(0.5)).toBeLessThan(0.1);
    // A single window from a fresh state is less sure than a stream; speech still wins.
    const middle = await Promise.all([2.0, 2.5, 3.0].map(at));
    expect(Math.max(...middle)).toBeGreaterThan(0.5);
  });
});
