import {
  base64Codec,
  CodecError,
  decodeBase64,
  decodeInferenceRequest,
  decodeRequest,
  encodeBase64,
  encodeResponse,
  getCodec,
  jsonCodec,
  listCodecs,
  npCodec,
  registerCodec,
  strCodec,
  type Tensor,
} from '@infer/codecs';
import { describe, expect, it } from 'vitest';

const bytesTensor = (
  name: string,
  items: string[],
  parameters?: Record<string, string>,
): Tensor => ({
  name,
  datatype: 'BYTES',
  shape: [items.length],
  data: items.map((item) => new TextEncoder().encode(item)),
  ...(parameters === undefined ? {} : { parameters }),
});

describe('built-in content-type codecs', () => {
  it('registers np, str, base64, img and json', () => {
    expect(listCodecs().slice(0, 5)).toEqual(['np', 'str', 'base64', 'img', 'json']);
    expect(getCodec('str')).toBe(strCodec);
    expect(getCodec('nope')).toBeUndefined();
  });

  it('np: the tensor itself; typed arrays encode with their datatype', () => {
    const t: Tensor = { name: 'x', datatype: 'FP32', shape: [1], data: new Float32Array([1]) };
    expect(npCodec.decode(t)).toBe(t);
    expect(npCodec.encode('y', new BigInt64Array([1n, 2n]))).toEqual({
      name: 'y',
      datatype: 'INT64',
      shape: [2],
      data: new BigInt64Array([1n, 2n]),
    });
  });

  it('str: BYTES <-> string[] as UTF-8', () => {
    const tensor = strCodec.encode('t', ['héllo', '']) as Tensor;
    expect(tensor.shape).toEqual([2]);
    expect(strCodec.decode(tensor)).toEqual(['héllo', '']);
    expect(() =>
      strCodec.decode({ name: 't', datatype: 'FP32', shape: [1], data: new Float32Array(1) }),
    ).toThrow('input "t": content_type str needs a BYTES tensor, got FP32');
    expect(() =>
      strCodec.decode({ name: 't', datatype: 'BYTES', shape: [1], data: [new Uint8Array([0xc3])] }),
    ).toThrow('input "t": element 0 is not valid UTF-8');
    expect(() => strCodec.encode('t', ['ok', 'a\uD800'])).toThrow(
      'output "t": element 1 has a lone surrogate, which has no UTF-8 form',
    );
  });

  it('base64: base64 text elements <-> raw bytes', () => {
    const raw = new Uint8Array([0, 255, 128, 7]);
    const tensor = base64Codec.encode('b', [raw]) as Tensor;
    expect(new TextDecoder().decode((tensor.data as Uint8Array[])[0])).toBe('AP+ABw==');
    expect(base64Codec.decode(tensor)).toEqual([raw]);
    expect(decodeBase64('AP+ABw')).toEqual(raw);
    expect(encodeBase64(new Uint8Array(70_000).fill(1)).length).toBe(93_336);
  });

  it('base64: bad base64 is a CodecError naming the input and element', () => {
    let error: unknown;
    try {
      base64Codec.decode(bytesTensor('b', ['aGk=', 'not base64!']));
    } catch (e) {
      error = e;
    }
    expect(CodecError.isInstance(error)).toBe(true);
    expect((error as CodecError).message).toBe(
      'input "b": element 1 is not valid base64: character " " at 3',
    );
    expect((error as CodecError).input).toBe('b');
    expect((error as CodecError).index).toBe(1);
    expect(() => decodeBase64('abcde')).toThrow(
      'value is not valid base64: wrong length or padding',
    );
  });

  it('json: one JSON document per element', () => {
    const tensor = jsonCodec.encode('j', [{ a: 1 }, [2], 'x']) as Tensor;
    expect(jsonCodec.decode(tensor)).toEqual([{ a: 1 }, [2], 'x']);
    expect(() => jsonCodec.decode(bytesTensor('j', ['{']))).toThrow(
      /^input "j": element 0 is not valid JSON/,
    );
  });
});

describe('registry', () => {
  it('adds codecs and refuses to replace one silently', () => {
    const upper = {
      contentType: 'upper-test',
      decode: (t: Tensor) => (strCodec.decode(t) as string[]).map((s) => s.toUpperCase()),
      encode: (name: string, value: string[]) => strCodec.encode(name, value),
    };
    registerCodec(upper);
    expect(getCodec('upper-test')).toBe(upper);
    expect(() => registerCodec(upper)).toThrow(
      'a codec for content_type "upper-test" is already registered; pass { override: true } to replace it',
    );
    registerCodec(upper, { override: true });
    expect(() =>
      registerCodec({ contentType: '', decode: upper.decode, encode: upper.encode }),
    ).toThrow('codec.contentType must be a non-empty string');
  });
});

describe('decodeRequest / encodeResponse', () => {
  it('turns a whole request into named values through each content_type', async () => {
    const request = decodeInferenceRequest({
      parameters: { content_type: 'str' },
      inputs: [
        { name: 'text', datatype: 'BYTES', shape: [2], data: ['a', 'b'] },
        {
          name: 'blob',
          datatype: 'BYTES',
          shape: [1],
          data: ['aGk='],
          parameters: { content_type: 'base64' },
        },
        { name: 'x', datatype: 'FP32', shape: [1], data: [1], parameters: { content_type: 'np' } },
      ],
    });
    const values = await decodeRequest(request);
    expect(values['text']).toEqual(['a', 'b']);
    expect(values['blob']).toEqual([new Uint8Array([104, 105])]);
    expect((values['x'] as Tensor).data).toEqual(new Float32Array([1]));
  });

  it('keeps an input named __proto__ as an own key, not the prototype', async () => {
    const request = decodeInferenceRequest({
      inputs: [
        { name: '__proto__', datatype: 'FP32', shape: [1], data: [1] },
        { name: 'b', datatype: 'FP32', shape: [1], data: [2] },
      ],
    });
    const values = await decodeRequest(request);
    expect(Object.keys(values)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect((Object.getOwnPropertyDescriptor(values, '__proto__')!.value as Tensor).data).toEqual(
      new Float32Array([1]),
    );
  });

  it('json: a value JSON.stringify throws on (a bigint) is a CodecError', () => {
    expect(() => jsonCodec.encode('out', { n: 5n })).toThrow(CodecError);
  });

  it('rejects an unknown content_type', async () => {
    const request = decodeInferenceRequest({
      inputs: [
        {
          name: 'x',
          datatype: 'BYTES',
          shape: [1],
          data: ['a'],
          parameters: { content_type: 'pandas' },
        },
      ],
    });
    await expect(decodeRequest(request)).rejects.toThrow(
      /^inputs\[0\] "x": unknown content_type "pandas"; known: np, str, base64, img, json/,
    );
  });

  it('turns named values into outputs, guessing or using the named codec', async () => {
    const response = await encodeResponse(
      {
        scores: new Float32Array([0.5]),
        label: ['cat'],
        raw: [new Uint8Array([1])],
        meta: { ok: true },
        ids: ['1'],
      },
      { model_name: 'm', id: 'r', contentTypes: { ids: 'json' } },
    );
    expect(response.id).toBe('r');
    expect(
      response.outputs.map((o) => [o.name, o.datatype, o.parameters?.['content_type']]),
    ).toEqual([
      ['scores', 'FP32', 'np'],
      ['label', 'BYTES', 'str'],
      ['raw', 'BYTES', 'base64'],
      ['meta', 'BYTES', 'json'],
      ['ids', 'BYTES', 'json'],
    ]);
    await expect(
      encodeResponse({ a: 1 }, { model_name: 'm', contentTypes: { a: 'nope' } }),
    ).rejects.toThrow(
      'output "a": unknown content_type "nope"; known: np, str, base64, img, json, upper-test',
    );
  });
});
