/**
 * Every datatype through the real server's echo models over gRPC, as `raw_input_contents`
 * and as typed `contents` (the server answers in the same form, so both decoders run),
 * compared with the REST client's answer to the same request; the wire form checked on a
 * bare grpc-js server.
 */
import { DATATYPES, type Datatype, type Tensor } from '@infer/codecs';
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, type GrpcClient, type GrpcContents } from '../src/grpc/index';
import { createClient, type InferClient, textOf } from '../src/index';
import { type FakeServer, lastInfer, startFakeServer } from './grpc-fake-server';
import { grpcAddress, startGrpcTestServer } from './grpc-test-server';

/** One sample per datatype with edge values (64-bit integers beyond 2^53, -0, non-ASCII text). */
const SAMPLES: Record<string, Tensor['data']> = {
  BOOL: new Uint8Array([1, 0, 1]),
  UINT8: new Uint8Array([0, 1, 255]),
  UINT16: new Uint16Array([0, 65535]),
  UINT32: new Uint32Array([0, 4294967295]),
  UINT64: new BigUint64Array([0n, 18446744073709551615n]),
  INT8: new Int8Array([-128, 0, 127]),
  INT16: new Int16Array([-32768, 32767]),
  INT32: new Int32Array([-2147483648, 2147483647]),
  INT64: new BigInt64Array([-9223372036854775808n, 9007199254740993n, 7n]),
  FP16: new Uint16Array([0x3c00, 0xc100, 0x3800]),
  BF16: new Uint16Array([0x3f80, 0xc020, 0x7f7f]),
  FP32: new Float32Array([1.5, -0, 3.4028234663852886e38, Number.NaN, -Infinity]),
  FP64: new Float64Array([Math.PI, -1e-300, 0, Number.POSITIVE_INFINITY]),
  BYTES: [
    new TextEncoder().encode('hello'),
    new TextEncoder().encode('wörld'),
    new Uint8Array(0),
    new Uint8Array([0xff, 0xd8, 0x00]),
  ],
};

let server: InferServer;
let rest: InferClient;
const clients: Partial<Record<GrpcContents, GrpcClient>> = {};

beforeAll(async () => {
  server = await startGrpcTestServer();
  rest = createClient({ baseUrl: server.url });
  clients.raw = createGrpcClient({ address: grpcAddress(server) });
  clients.typed = createGrpcClient({ address: grpcAddress(server), contents: 'typed' });
});
afterAll(async () => {
  await clients.raw?.close();
  await clients.typed?.close();
  await server?.close();
});

/** What two transports must agree on for one tensor. */
function comparable(tensor: Tensor | undefined) {
  if (tensor === undefined) return undefined;
  const { name, datatype, shape, data } = tensor;
  return { name, datatype, shape, data };
}

describe('every datatype round-trips and matches REST', () => {
  it('has a sample for every datatype', () => {
    expect(Object.keys(SAMPLES).filter((key) => DATATYPES.includes(key as Datatype))).toEqual([
      ...DATATYPES,
    ]);
  });

  for (const datatype of DATATYPES) {
    for (const contents of ['raw', 'typed'] as const) {
      it(`${datatype} as ${contents} contents`, async () => {
        const data = SAMPLES[datatype]!;
        const name = `echo-${datatype.toLowerCase()}`;
        const input = { x: { data, datatype } };
        const result = await clients[contents]!.model(name).infer(input);
        const y = result.outputs['y']!;
        expect(result.model_name).toBe(name);
        expect(y).toMatchObject({ name: 'y', datatype, shape: [data.length] });
        expect(y.data).toEqual(data);
        expect(y.data.constructor).toBe(data.constructor);
        const viaRest = await rest.model(name).infer(input, { binary: true });
        expect(comparable(y)).toEqual(comparable(viaRest.outputs['y']));
      });
    }
  }

  it('multi-dimensional shapes, several inputs and outputs: the same answer as REST', async () => {
    const inputs = {
      a: { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] },
      tag: ['x', 'yy', 'zzz'],
    };
    for (const contents of ['raw', 'typed'] as const) {
      const result = await clients[contents]!.model('pair').infer(inputs);
      const viaRest = await rest.model('pair').infer(inputs);
      for (const output of ['sum', 'label', 'count']) {
        expect(comparable(result.outputs[output])).toEqual(comparable(viaRest.outputs[output]));
      }
      expect(textOf(result.outputs['label'] as Tensor<'BYTES'>)).toEqual(['x', 'yy', 'zzz']);
    }
  });
});

describe('the wire form', () => {
  let fake: FakeServer;
  beforeAll(async () => {
    fake = await startFakeServer();
    fake.answer('ModelInfer', () => ({
      response: {
        model_name: 'm',
        outputs: [{ name: 'y', datatype: 'FP32', shape: [2] }],
        raw_output_contents: [Buffer.from(new Float32Array([1, 2]).buffer)],
      },
    }));
  });
  afterAll(() => fake?.close());

  it('sends raw_input_contents by default: tensorBytes little-endian, BYTES length-prefixed', async () => {
    const client = createGrpcClient({ address: fake.address });
    try {
      await client.model('m', '2').infer({ x: new Float32Array([1, 2]), s: ['ab'] });
      const request = lastInfer(fake);
      expect(request.model_name).toBe('m');
      expect(request.model_version).toBe('2');
      expect(
        request.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      ).toEqual([
        { name: 'x', datatype: 'FP32', shape: ['2'] },
        { name: 's', datatype: 'BYTES', shape: ['1'] },
      ]);
      expect(request.inputs.every((input) => input.contents == null)).toBe(true);
      expect([...request.raw_input_contents[0]!]).toEqual([0, 0, 128, 63, 0, 0, 0, 64]);
      expect([...request.raw_input_contents[1]!]).toEqual([2, 0, 0, 0, 97, 98]);
    } finally {
      await client.close();
    }
  });

  it('sends typed contents with contents: "typed" or binary: false; FP16 forces raw', async () => {
    const client = createGrpcClient({ address: fake.address, contents: 'typed' });
    try {
      await client.model('m').infer({
        x: new Float32Array([1, 2]),
        n: new BigInt64Array([2n ** 62n]),
        b: [true, false],
      });
      const typed = lastInfer(fake);
      expect(typed.raw_input_contents).toEqual([]);
      expect(typed.inputs[0]!.contents?.fp32_contents).toEqual([1, 2]);
      expect(typed.inputs[1]!.contents?.int64_contents).toEqual(['4611686018427387904']);
      expect(typed.inputs[2]!.contents?.bool_contents).toEqual([true, false]);

      await client.model('m').infer({ x: new Float32Array([1, 2]) }, { binary: true });
      expect(lastInfer(fake).raw_input_contents).toHaveLength(1);

      await client.model('m').infer({
        x: new Float32Array([1]),
        h: { data: new Uint16Array([0x3c00]), datatype: 'FP16' },
      });
      expect(lastInfer(fake).raw_input_contents).toHaveLength(2);
    } finally {
      await client.close();
    }
    const raw = createGrpcClient({ address: fake.address });
    try {
      await raw.model('m').infer({ x: new Float32Array([1, 2]) }, { binary: false });
      expect(lastInfer(fake).inputs[0]!.contents?.fp32_contents).toEqual([1, 2]);
    } finally {
      await raw.close();
    }
  });

  it('sends parameters, id, requested outputs and metadata (client-wide, per-call headers)', async () => {
    let token = 0;
    const client = createGrpcClient({
      address: fake.address,
      metadata: () => ({ authorization: `Bearer t${++token}` }),
    });
    try {
      await client.model('m').infer(
        { x: { data: new Float32Array([1]), parameters: { content_type: 'np' } } },
        {
          id: 'r1',
          parameters: { n: 3, f: 0.5, s: 'v', b: false },
          outputs: ['y'],
          headers: { 'x-request-id': 'abc' },
        },
      );
      const request = lastInfer(fake);
      expect(request.id).toBe('r1');
      expect(request.parameters).toEqual({
        n: { int64_param: '3', parameter_choice: 'int64_param' },
        f: { double_param: 0.5, parameter_choice: 'double_param' },
        s: { string_param: 'v', parameter_choice: 'string_param' },
        b: { bool_param: false, parameter_choice: 'bool_param' },
      });
      expect(request.inputs[0]!.parameters).toEqual({
        content_type: { string_param: 'np', parameter_choice: 'string_param' },
      });
      expect(request.outputs.map((output) => output.name)).toEqual(['y']);
      const metadata = fake.calls.at(-1)!.metadata;
      expect(metadata['authorization']).toBe('Bearer t1');
      expect(metadata['x-request-id']).toBe('abc');
    } finally {
      await client.close();
    }
  });
});
