import { decodeInferenceRequest } from '@infer/codecs';
import { describe, expect, it } from 'vitest';

const enc = new TextEncoder();

/** A request body of one input, its data written as raw JSON text (as numpy writes it). */
function body(datatype: string, shape: number[], data: string, extra = ''): string {
  return `{"id":"12345678901234567890",${extra}"inputs":[{"name":"x","datatype":"${datatype}","shape":${JSON.stringify(shape)},"data":${data}}]}`;
}

describe('INT64 / UINT64 JSON numbers past 2^53 keep the value written', () => {
  it('INT64, flat and nested, as text and as bytes', () => {
    const text = body(
      'INT64',
      [2, 2],
      '[[9007199254740993, -9223372036854775808], [9223372036854775807, 7]]',
    );
    for (const source of [text, enc.encode(text)]) {
      const request = decodeInferenceRequest(source);
      expect(request.id).toBe('12345678901234567890');
      expect(Array.from(request.inputs[0]!.data as BigInt64Array)).toEqual([
        9007199254740993n,
        -9223372036854775808n,
        9223372036854775807n,
        7n,
      ]);
    }
  });

  it('UINT64 up to 2^64-1', () => {
    const request = decodeInferenceRequest(body('UINT64', [2], '[18446744073709551615, 1]'));
    expect(Array.from(request.inputs[0]!.data as BigUint64Array)).toEqual([
      18446744073709551615n,
      1n,
    ]);
  });

  it('only the INT64 / UINT64 tensors are read again; other numbers stay as JSON.parse reads them', () => {
    const text = `{"parameters":{"seed":12345678901234567890},"inputs":[
      {"name":"a","datatype":"FP64","shape":[1],"data":[12345678901234567890]},
      {"name":"b","datatype":"INT64","shape":[1],"data":[12345678901234567]},
      {"name":"c","datatype":"BYTES","shape":[1],"data":["98765432109876543210"]}]}`;
    const request = decodeInferenceRequest(text);
    expect(request.parameters).toEqual({ seed: Number('12345678901234567890') });
    expect(Array.from(request.inputs[0]!.data as Float64Array)).toEqual([
      Number('12345678901234567890'),
    ]);
    expect(Array.from(request.inputs[1]!.data as BigInt64Array)).toEqual([12345678901234567n]);
    expect(new TextDecoder().decode((request.inputs[2]!.data as Uint8Array[])[0])).toBe(
      '98765432109876543210',
    );
  });

  it('in the JSON header of a binary body', () => {
    const header = enc.encode(
      '{"inputs":[{"name":"x","datatype":"INT64","shape":[1],"data":[-9007199254740995]},' +
        '{"name":"y","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":4}}]}',
    );
    const bytes = new Uint8Array([...header, ...new Uint8Array(new Float32Array([1.5]).buffer)]);
    const request = decodeInferenceRequest(bytes, { headerLength: header.length });
    expect(Array.from(request.inputs[0]!.data as BigInt64Array)).toEqual([-9007199254740995n]);
    expect(Array.from(request.inputs[1]!.data as Float32Array)).toEqual([1.5]);
  });

  it('a value out of range is refused with the digits the client sent', () => {
    expect(() => decodeInferenceRequest(body('INT64', [1], '[9223372036854775808]'))).toThrow(
      /inputs\[0\] "x": data element 0 must be an integer in \[-9223372036854775808, 9223372036854775807\] \(INT64\), got "9223372036854775808"/,
    );
    expect(() => decodeInferenceRequest(body('UINT64', [1], '[-9007199254740993]'))).toThrow(
      /got "-9007199254740993"/,
    );
  });

  it('a fraction or an exponent is not an integer, past 2^53 or not', () => {
    expect(() => decodeInferenceRequest(body('INT64', [1], '[1e300]'))).toThrow(
      /must be an integer within ±\(2\^53-1\)/,
    );
    expect(() => decodeInferenceRequest(body('INT64', [1], '[1.5]'))).toThrow(
      /must be an integer or a decimal string \(INT64\), got 1\.5/,
    );
  });

  it('an already parsed object cannot be read again: the rounding is reported as before', () => {
    const parsed = JSON.parse(body('INT64', [1], '[9007199254740993]'));
    expect(() => decodeInferenceRequest(parsed)).toThrow(
      /must be an integer within ±\(2\^53-1\) .* got 9007199254740992/,
    );
  });

  it('looks through data nested 200,000 deep without a stack overflow (the decoder then refuses the shape)', () => {
    const depth = 200_000;
    const text = body('INT64', [1], `${'['.repeat(depth)}1${']'.repeat(depth)}`);
    expect(() => decodeInferenceRequest(text)).toThrow(/inputs\[0\] "x"/);
  });
});
