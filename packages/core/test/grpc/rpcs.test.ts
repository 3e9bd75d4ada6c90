import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, plain, responseTensors, statusOf } from './grpc-client';
import { type GrpcFixture, startGrpcFixture } from './grpc-fixture';

let fixture: GrpcFixture;
beforeAll(async () => {
  fixture = await startGrpcFixture();
});
afterAll(() => fixture?.close());

const x = (values: number[]) => ({
  name: 'x',
  datatype: 'FP32',
  shape: [values.length / 2, 2],
  contents: { fp32_contents: values },
});

describe('GRPCInferenceService RPCs', () => {
  it('ServerLive answers live: true', async () => {
    expect(await call(fixture.client, 'ServerLive', {})).toEqual({ live: true });
  });

  it('ServerReady follows the service: false while a model that should load is not ready', async () => {
    // "broken" failed to load, so the server is not ready, as GET /v2/health/ready says.
    const rest = await fixture.service.request('/v2/health/ready');
    const grpcAnswer = await call(fixture.client, 'ServerReady', {});
    expect(grpcAnswer).toEqual({ ready: false });
    expect(rest.json()).toEqual({ ready: false });
  });

  it('ServerMetadata gives the name, version and extensions of GET /v2', async () => {
    const answer = await call(fixture.client, 'ServerMetadata', {});
    const rest = (await fixture.service.request('/v2')).json();
    expect(answer).toEqual(rest);
    expect(answer.name).toBe('infer');
  });

  it('ModelReady is true for a loaded model, false for one that failed, NOT_FOUND for none', async () => {
    expect(await call(fixture.client, 'ModelReady', { name: 'doubler' })).toEqual({ ready: true });
    expect(await call(fixture.client, 'ModelReady', { name: 'doubler', version: '1' })).toEqual({
      ready: true,
    });
    expect(await call(fixture.client, 'ModelReady', { name: 'broken' })).toEqual({ ready: false });
    const missing = await statusOf(call(fixture.client, 'ModelReady', { name: 'nope' }));
    expect(missing.code).toBe(5);
    const noVersion = await statusOf(
      call(fixture.client, 'ModelReady', { name: 'doubler', version: '9' }),
    );
    expect(noVersion.code).toBe(5);
    expect(noVersion.details).toContain('version "9"');
  });

  it('ModelMetadata gives the REST metadata: versions, platform, tensors, parameters as properties', async () => {
    const answer = await call(fixture.client, 'ModelMetadata', { name: 'doubler' });
    const rest = (await fixture.service.request('/v2/models/doubler')).json() as {
      parameters: Record<string, unknown>;
    };
    expect(answer).toMatchObject({
      name: 'doubler',
      versions: ['1'],
      platform: 'custom',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '2'] }],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: ['-1', '2'] },
        { name: 'z', datatype: 'FP32', shape: ['-1', '2'] },
      ],
    });
    expect(answer.properties).toEqual(
      Object.fromEntries(Object.entries(rest.parameters).map(([k, v]) => [k, String(v)])),
    );
    expect(answer.properties?.author).toBe('tests');
  });

  it('ModelMetadata of an unknown model is NOT_FOUND; an empty name is INVALID_ARGUMENT', async () => {
    expect((await statusOf(call(fixture.client, 'ModelMetadata', { name: 'nope' }))).code).toBe(5);
    expect((await statusOf(call(fixture.client, 'ModelMetadata', {}))).code).toBe(3);
  });

  it('ModelInfer runs the model and echoes id, model name and version', async () => {
    const answer = await call(fixture.client, 'ModelInfer', {
      model_name: 'doubler',
      id: 'req-7',
      inputs: [x([1, 2, 3, 4])],
    });
    expect(answer).toMatchObject({ model_name: 'doubler', model_version: '1', id: 'req-7' });
    expect(answer.raw_output_contents).toEqual([]);
    expect(responseTensors(answer).map(plain)).toEqual([
      { name: 'y', datatype: 'FP32', shape: [2, 2], data: [2, 4, 6, 8] },
      { name: 'z', datatype: 'FP32', shape: [2, 2], data: [2, 3, 4, 5] },
    ]);
  });

  it('ModelInfer returns only the requested outputs, in the requested order', async () => {
    const answer = await call(fixture.client, 'ModelInfer', {
      model_name: 'doubler',
      model_version: '1',
      inputs: [x([1, 2])],
      outputs: [{ name: 'z' }],
    });
    expect(responseTensors(answer).map(plain)).toEqual([
      { name: 'z', datatype: 'FP32', shape: [1, 2], data: [2, 3] },
    ]);
  });

  it('InferParameter maps to REST parameters and back, int64 beyond 2^53 without loss', async () => {
    const answer = await call(fixture.client, 'ModelInfer', {
      model_name: 'doubler',
      inputs: [x([1, 2])],
      parameters: {
        flag: { bool_param: true },
        label: { string_param: 'a' },
        ratio: { double_param: 0.25 },
        small: { int64_param: '42' },
        huge: { int64_param: '9007199254740993' },
        unsigned: { uint64_param: '18446744073709551615' },
      },
    });
    expect(answer.parameters).toEqual({
      flag: { bool_param: true, parameter_choice: 'bool_param' },
      label: { string_param: 'a', parameter_choice: 'string_param' },
      ratio: { double_param: 0.25, parameter_choice: 'double_param' },
      small: { int64_param: '42', parameter_choice: 'int64_param' },
      // Beyond 2^53 a 64-bit integer travels as its decimal string (REST parameters have no int64).
      huge: { string_param: '9007199254740993', parameter_choice: 'string_param' },
      unsigned: { string_param: '18446744073709551615', parameter_choice: 'string_param' },
    });
  });

  it('records each call in the service metrics, route grpc.<Rpc>, with the HTTP twin status', async () => {
    await call(fixture.client, 'ModelInfer', { model_name: 'doubler', inputs: [x([0, 0])] });
    await statusOf(call(fixture.client, 'ModelInfer', { model_name: 'nope', inputs: [x([0, 0])] }));
    const text = await fixture.metrics.render();
    expect(text).toMatch(/route="grpc\.ModelInfer",status="200"/);
    expect(text).toMatch(/route="grpc\.ModelInfer",status="404"/);
  });
});
