/** Every datatype and input form through echo models, over JSON and the binary extension. */

import { createClient, type FetchLike, textOf } from '@infer/client';
import type { Datatype, Tensor } from '@infer/codecs';
import { type SuiteApi, type SuiteHost, sameBytes } from './suite-api';

export function roundTripSuite({ describe, it, expect }: SuiteApi, host: SuiteHost): void {
  // A client on host.url, made when a test runs (the server starts after the suite is defined).
  const client = {
    model: (name: string) => createClient({ baseUrl: host.url }).model(name),
  };

  /** One sample per datatype, with edge values (64-bit integers beyond 2^53, -0, non-ASCII text). */
  const SAMPLES: Record<Datatype, Tensor['data']> = {
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
    BF16: new Uint16Array([0x3f80, 0xc020, 0x3f00]),
    FP32: new Float32Array([1.5, -0.25, 3.4028234663852886e38]),
    FP64: new Float64Array([Math.PI, -1e-300, 0]),
    BYTES: [
      new TextEncoder().encode('hello'),
      new TextEncoder().encode('wörld'),
      new Uint8Array(0),
    ],
  };

  describe('every datatype round-trips through an echo model', () => {
    for (const [datatype, data] of Object.entries(SAMPLES) as [Datatype, Tensor['data']][]) {
      for (const binary of [false, true]) {
        it(`${datatype} over ${binary ? 'the binary extension' : 'JSON'}`, async () => {
          const model = client.model(`echo-${datatype.toLowerCase()}`);
          const result = await model.infer({ x: { data, datatype } }, { binary });
          const y = result.outputs['y']!;
          expect(y.datatype).toBe(datatype);
          expect(y.shape).toEqual([data.length]);
          expect(y.data).toEqual(data);
          expect(result.model_name).toBe(`echo-${datatype.toLowerCase()}`);
          const seen = await host.seenHeaders(`echo-${datatype.toLowerCase()}`);
          expect(seen?.['inference-header-content-length'] !== undefined).toBe(binary);
        });
      }
    }
  });

  describe('input forms', () => {
    it('infers FP32 from a Float32Array and shape [n]', async () => {
      const result = await client.model('echo-fp32').infer({ x: new Float32Array([1, 2, 3]) });
      expect(result.outputs['y']).toMatchObject({ datatype: 'FP32', shape: [3] });
      expect(Array.from(result.outputs['y']!.data as Float32Array)).toEqual([1, 2, 3]);
    });

    it('takes a string and string arrays as BYTES', async () => {
      const one = await client.model('echo-bytes').infer({ x: 'héllo' });
      expect(textOf(one.outputs['y'] as Tensor<'BYTES'>)).toEqual(['héllo']);
      const many = await client.model('echo-bytes').infer({ x: ['a', 'b'] });
      expect(textOf(many.outputs['y'] as Tensor<'BYTES'>)).toEqual(['a', 'b']);
    });

    it('takes plain arrays with a datatype (INT64 from numbers, bigints and decimal strings, FP16 from floats, BOOL from booleans)', async () => {
      const int64 = await client
        .model('echo-int64')
        .infer({ x: { data: [1, -2n, '9007199254740993'], datatype: 'INT64' } });
      expect(int64.outputs['y']!.data).toEqual(new BigInt64Array([1n, -2n, 9007199254740993n]));
      const fp16 = await client
        .model('echo-fp16')
        .infer({ x: { data: [1, -2.5], datatype: 'FP16' } });
      expect(fp16.outputs['y']!.data).toEqual(new Uint16Array([0x3c00, 0xc100]));
      const bool = await client.model('echo-bool').infer({ x: [true, false] });
      expect(bool.outputs['y']).toMatchObject({ datatype: 'BOOL', data: new Uint8Array([1, 0]) });
    });

    it('sends a non-UTF-8 Uint8Array as one BYTES element over the binary extension', async () => {
      const jpegLike = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00]);
      const result = await client
        .model('echo-bytes')
        .infer({ x: { data: jpegLike, datatype: 'BYTES' } });
      expect(result.outputs['y']!.shape).toEqual([1]);
      expect(result.outputs['y']!.data).toEqual([jpegLike]);
      expect(
        (await host.seenHeaders('echo-bytes'))?.['inference-header-content-length'],
      ).toBeDefined();
    });

    it('sends NaN and Infinity over the binary extension (JSON cannot carry them)', async () => {
      const sent: Array<string | null> = [];
      const recording: FetchLike = (url, init) => {
        sent.push(new Headers(init.headers).get('content-type'));
        return fetch(url, init);
      };
      const data = new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, 1]);
      const result = await createClient({ baseUrl: host.url, fetch: recording })
        .model('echo-fp32')
        .infer({ x: data });
      expect(result.outputs['y']!.data).toEqual(data);
      expect(sent).toEqual(['application/octet-stream']);
    });

    it('with binary: false, refuses NaN instead of switching to binary', async () => {
      const error = await client
        .model('echo-fp32')
        .infer({ x: new Float32Array([Number.NaN]) }, { binary: false })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toMatchObject({ code: 'INFER_CLIENT_ERR_INVALID_INPUT' });
      expect((error as Error).message).toMatch(/which JSON cannot carry/);
    });

    it('passes an explicit shape, requested outputs, parameters and an id', async () => {
      const result = await client
        .model('pair')
        .infer(
          { a: { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }, tag: ['p', 'q'] },
          { outputs: ['sum', 'count'], id: 'req-7', parameters: { note: 'x' } },
        );
      expect(Object.keys(result.outputs).sort()).toEqual(['count', 'sum']);
      expect(Array.from(result.outputs['sum']!.data as Float32Array)).toEqual([3, 7]);
      expect(result.outputs['count']!.data).toEqual(new BigInt64Array([2n]));
      expect(result.id).toBe('req-7');
    });

    it('requests an output with parameters: Triton classification, over JSON and binary', async () => {
      for (const binary of [false, true]) {
        const result = await client.model('pair').infer(
          {
            a: { data: new Float32Array([1, 2, 5, 4, 3, 3]), shape: [3, 2] },
            tag: ['p', 'q', 'r'],
          },
          { outputs: [{ name: 'sum', parameters: { classification: 2 } }, 'count'], binary },
        );
        expect(Object.keys(result.outputs).sort()).toEqual(['count', 'sum']);
        expect(result.outputs['sum']!.datatype).toBe('BYTES');
        expect(textOf(result.outputs['sum'] as Tensor<'BYTES'>)).toEqual(['9:1', '6:2']);
        expect(result.outputs['count']!.data).toEqual(new BigInt64Array([3n]));
      }
    });

    it('requests binary outputs for listed outputs too when it goes binary', async () => {
      const result = await client
        .model('pair')
        .infer(
          { a: { data: new Float32Array([1, 2]), shape: [1, 2] }, tag: ['p'] },
          { outputs: ['label'], binary: true },
        );
      expect(textOf(result.outputs['label'] as Tensor<'BYTES'>)).toEqual(['p']);
    });
  });

  describe('JSON or binary, automatically', () => {
    function spyClient(threshold?: number) {
      const sent: Array<{ binary: boolean; bytes: number }> = [];
      const spy: FetchLike = async (url, init) => {
        const headers = init.headers as Record<string, string>;
        sent.push({
          binary: headers['inference-header-content-length'] !== undefined,
          bytes: (init.body as Uint8Array | undefined)?.byteLength ?? 0,
        });
        return fetch(url, init);
      };
      const options = threshold === undefined ? {} : { binaryThreshold: threshold };
      return { client: createClient({ baseUrl: host.url, fetch: spy, ...options }), sent };
    }

    it('sends small tensors as JSON and large ones binary, with the same outputs', async () => {
      const { client: spied, sent } = spyClient();
      const small = Float32Array.from({ length: 16 }, (_, i) => i / 7);
      const large = Float32Array.from({ length: 64 * 1024 }, (_, i) => Math.sin(i));
      const a = await spied.model('echo-fp32').infer({ x: small });
      const b = await spied.model('echo-fp32').infer({ x: large });
      expect(sent.map((call) => call.binary)).toEqual([false, true]);
      expect(a.outputs['y']!.data).toEqual(small);
      expect(sameBytes(b.outputs['y']!.data as Float32Array, large)).toBe(true);
      // Binary is the raw 256 KiB plus a small JSON header; JSON would be about 20 bytes a float.
      expect(sent[1]!.bytes).toBeLessThan(large.byteLength + 1024);
    });

    it('switches at binaryThreshold (bytes of input data), and `binary` forces either way', async () => {
      const { client: spied, sent } = spyClient(64);
      const model = spied.model('echo-fp32');
      await model.infer({ x: new Float32Array(15) }); // 60 bytes
      await model.infer({ x: new Float32Array(16) }); // 64 bytes
      await model.infer({ x: new Float32Array(16) }, { binary: false });
      await model.infer({ x: new Float32Array(1) }, { binary: true });
      expect(sent.map((call) => call.binary)).toEqual([false, true, false, true]);
    });

    it('gives identical outputs over JSON and binary for a multi-output model', async () => {
      const inputs = {
        a: { data: new Float32Array([0.1, 0.2, 0.3, 0.4]), shape: [2, 2] },
        tag: ['x', 'y'],
      };
      const json = await client.model('pair').infer(inputs, { binary: false });
      const binary = await client.model('pair').infer(inputs, { binary: true });
      expect(binary).toEqual(json);
    });
  });
}
