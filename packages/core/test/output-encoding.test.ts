import { decodeInferenceResponse, encodeInferenceRequest } from '@infer/codecs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineModel } from '../src/define-model';
import { InferenceService } from '../src/inference-service';
import type { Logger } from '../src/logger';
import { ModelRepository } from '../src/model-repository';

/** A model whose output `y` holds NaN and Infinity: JSON cannot carry them. */
const nonFinite = defineModel({
  name: 'nonfinite',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
  predict: (request) => [
    {
      name: 'y',
      datatype: 'FP32',
      shape: request.input('x').shape,
      data: request
        .input('x')
        .typed('FP32')
        .map((v) => (v === 0 ? Number.NaN : v / 0)),
    },
  ],
});

const services: InferenceService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.shutdown({ timeoutMs: 1000 })));
});

async function setup(logger?: Logger) {
  const repository = new ModelRepository().add(nonFinite);
  await repository.loadAll();
  const service = new InferenceService({ repository, ...(logger === undefined ? {} : { logger }) });
  services.push(service);
  return service;
}

const input = { name: 'x', datatype: 'FP32' as const, shape: [1, 2], data: [0, 1] };

describe('a model output JSON cannot carry (NaN, Infinity)', () => {
  it('is the server’s fault: 500 INFER_ERR_OUTPUT_ENCODING naming the output, logged', async () => {
    const logged: { object: Record<string, unknown>; message: string | undefined }[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (object, message) =>
        logged.push({ object: object as Record<string, unknown>, message }),
    };
    const service = await setup(logger);
    const response = await service.request('/v2/models/nonfinite/infer', {
      body: { inputs: [input] },
      headers: { 'x-request-id': 'nan-1' },
    });
    expect(response.status).toBe(500);
    const { error } = response.json() as { error: string };
    expect(error).toContain('Model "nonfinite" output "y"');
    expect(error).toContain('NaN');
    expect(error).toContain('binary');
    const line = logged.find((entry) => entry.object.requestId === 'nan-1');
    expect(line?.object).toMatchObject({ code: 'INFER_ERR_OUTPUT_ENCODING', route: 'infer' });
  });

  it('goes through the binary tensor extension (binary_data_output), NaN and ±Infinity kept', async () => {
    const service = await setup();
    const encoded = encodeInferenceRequest(
      {
        parameters: { binary_data_output: true },
        inputs: [{ ...input, data: new Float32Array([0, -1]) }],
      },
      { binary: true },
    );
    const response = await service.handle({
      method: 'POST',
      path: '/v2/models/nonfinite/infer',
      headers: encoded.headers,
      body: encoded.body,
    });
    expect(response.status).toBe(200);
    const decoded = decodeInferenceResponse(response.body as Uint8Array, {
      headerLength: response.headers['inference-header-content-length'],
    });
    expect([...(decoded.outputs[0]!.data as Float32Array)]).toEqual([
      Number.NaN,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it('goes binary when only that output asks for binary_data, from a JSON request', async () => {
    const service = await setup();
    const response = await service.request('/v2/models/nonfinite/infer', {
      body: { inputs: [input], outputs: [{ name: 'y', parameters: { binary_data: true } }] },
    });
    expect(response.status).toBe(200);
    const decoded = decodeInferenceResponse(response.body as Uint8Array, {
      headerLength: response.headers['inference-header-content-length'],
    });
    expect([...(decoded.outputs[0]!.data as Float32Array)]).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]);
  });
});
