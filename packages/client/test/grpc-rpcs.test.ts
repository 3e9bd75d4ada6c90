/**
 * Every RPC of `inference.GRPCInferenceService` through `createGrpcClient`, against a real
 * `serve({ grpc })`, with the REST client's API: health, metadata, schema, infer with
 * parameters, ids, versions, requested outputs and typed schemas (compile-time checks run
 * under `pnpm typecheck`).
 */
import type { Tensor } from '@infer/codecs';
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createGrpcClient, type GrpcClient } from '../src/grpc/index';
import { createClient, defineSchema, type ModelClient, type OipClient, textOf } from '../src/index';
import { grpcAddress, startGrpcTestServer } from './grpc-test-server';

let server: InferServer;
let client: GrpcClient;

beforeAll(async () => {
  server = await startGrpcTestServer();
  client = createGrpcClient({ address: grpcAddress(server) });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

const pairSchema = defineSchema({
  inputs: {
    a: { datatype: 'FP32', shape: [-1, 2] },
    tag: { datatype: 'BYTES', shape: [-1] },
  },
  outputs: {
    sum: { datatype: 'FP32' },
    label: { datatype: 'BYTES' },
    count: { datatype: 'INT64' },
  },
} as const);

/** Calls that must not compile; never run (the function is never called). */
function compileErrors(model: ModelClient<typeof pairSchema>) {
  // @ts-expect-error unknown input name
  void model.infer({ a: new Float32Array(2), tag: 'x', b: new Float32Array(2) });
  // @ts-expect-error Int32Array is not FP32 data
  void model.infer({ a: new Int32Array(2), tag: 'x' });
  // @ts-expect-error unknown output name
  void model.infer({ a: new Float32Array(2), tag: 'x' }, { outputs: ['nope'] });
}

describe('server RPCs', () => {
  it('ServerLive and ServerReady answer true', async () => {
    expect(await client.live()).toBe(true);
    expect(await client.ready()).toBe(true);
  });

  it('ServerMetadata gives the same name, version and extensions as REST', async () => {
    const rest = createClient({ baseUrl: server.url });
    const metadata = await client.metadata();
    expect(metadata).toEqual(await rest.metadata());
    expect(metadata.name).toBe('infer');
  });
});

describe('model RPCs', () => {
  it('ModelMetadata gives the REST metadata (gRPC properties: parameters as strings)', async () => {
    const rest = createClient({ baseUrl: server.url });
    const { parameters, ...viaGrpc } = await client.model('pair').metadata();
    const { parameters: restParameters, ...viaRest } = await rest.model('pair').metadata();
    expect(viaGrpc).toEqual(viaRest);
    expect(parameters).toEqual(
      Object.fromEntries(
        Object.entries(restParameters!).map(([key, value]) => [key, String(value)]),
      ),
    );
    const versioned = await client.model('params', '3').metadata();
    expect(versioned).toMatchObject({
      name: 'params',
      versions: ['3'],
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
      parameters: { author: 'tests', layers: '2' },
    });
  });

  it('schema() is the same live schema as over REST', async () => {
    const rest = createClient({ baseUrl: server.url });
    expect(await client.model('pair').schema()).toEqual(await rest.model('pair').schema());
  });

  it('ModelReady answers true for a model, rejects NOT_FOUND for an unknown one', async () => {
    expect(await client.model('pair').ready()).toBe(true);
    expect(await client.model('params', '3').ready()).toBe(true);
    await expect(client.model('nope').ready()).rejects.toMatchObject({
      code: 'INFER_CLIENT_ERR_GRPC',
      grpcCode: 5,
      grpcStatus: 'NOT_FOUND',
    });
  });

  it('ModelInfer: outputs by name, request id echoed, requested outputs only', async () => {
    const result = await client.model('pair').infer(
      { a: { data: [1, 2, 3, 4], datatype: 'FP32', shape: [2, 2] }, tag: ['p', 'q'] },
      {
        id: 'req-7',
      },
    );
    expect(result.model_name).toBe('pair');
    expect(result.id).toBe('req-7');
    expect(Object.keys(result.outputs).sort()).toEqual(['count', 'label', 'sum']);
    expect(result.outputs['sum']).toMatchObject({ datatype: 'FP32', shape: [2] });
    expect(Array.from(result.outputs['sum']!.data as Float32Array)).toEqual([3, 7]);
    expect(textOf(result.outputs['label'] as Tensor<'BYTES'>)).toEqual(['p', 'q']);
    expect(result.outputs['count']!.data).toEqual(new BigInt64Array([2n]));

    const only = await client
      .model('pair')
      .infer(
        { a: { data: new Float32Array([1, 1]), shape: [1, 2] }, tag: 'x' },
        { outputs: ['label'] },
      );
    expect(Object.keys(only.outputs)).toEqual(['label']);
  });

  it('ModelInfer of a version: parameters round-trip as REST-style values, int64 without loss', async () => {
    const parameters = {
      flag: true,
      text: 'hello',
      ratio: 0.25,
      count: 42,
      negative: -7,
      big: '9007199254740993',
    };
    const result = await client
      .model('params', '3')
      .infer(
        { x: { data: new Float32Array([1]), parameters: { content_type: 'np' } } },
        { parameters },
      );
    expect(result.model_version).toBe('3');
    expect(result.parameters).toEqual(parameters);
    // A bigint (not in the REST Parameters type) goes as int64_param / uint64_param.
    const wide = await client
      .model('params', '3')
      .infer(
        { x: new Float32Array([1]) },
        { parameters: { i: 2n ** 62n + 1n, u: 2n ** 64n - 1n } as never },
      );
    expect(wide.parameters).toEqual({ i: '4611686018427387905', u: '18446744073709551615' });
  });

  it('a typed schema model infers with the same compile-time types as REST', async () => {
    const pair = client.model('pair', pairSchema);
    expectTypeOf(pair).toEqualTypeOf<ModelClient<typeof pairSchema>>();
    expectTypeOf(compileErrors).toBeFunction();
    const result = await pair.infer({ a: [1, 2, 3, 4, 5, 6], tag: ['a', 'b', 'c'] });
    expectTypeOf(result.outputs.sum.data).toEqualTypeOf<Float32Array>();
    expectTypeOf(result.outputs.count.data).toEqualTypeOf<BigInt64Array>();
    expect(result.outputs.sum.shape).toEqual([3]);
    expect(Array.from(result.outputs.sum.data)).toEqual([3, 7, 11]);
    const only = await pair.infer({ a: [1, 1], tag: 'x' }, { outputs: ['label'] });
    expectTypeOf(only.outputs).toEqualTypeOf<{ label: Tensor<'BYTES'> }>();
    expect(textOf(only.outputs.label)).toEqual(['x']);
  });

  it('requests an output with parameters (Triton classification), raw and typed contents', async () => {
    for (const binary of [true, false]) {
      const { outputs } = await client.model('pair').infer(
        {
          a: { data: new Float32Array([1, 2, 5, 4, 3, 3]), shape: [3, 2] },
          tag: ['p', 'q', 'r'],
        },
        { outputs: [{ name: 'sum', parameters: { classification: 2 } }], binary },
      );
      expect(Object.keys(outputs)).toEqual(['sum']);
      expect(textOf(outputs['sum'] as Tensor<'BYTES'>)).toEqual(['9:1', '6:2']);
    }
  });

  it('a GrpcClient is an OipClient: code written for REST takes it as is', async () => {
    const sum = async (any: OipClient) => {
      const { outputs } = await any.model('pair', pairSchema).infer({ a: [2, 3], tag: 't' });
      return Array.from(outputs.sum.data);
    };
    expect(await sum(client)).toEqual([5]);
    expect(await sum(createClient({ baseUrl: server.url }))).toEqual([5]);
  });
});
