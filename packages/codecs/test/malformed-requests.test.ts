import { CodecError, decodeInferenceRequest, formatShape } from '@infer/codecs';
import { describe, expect, it } from 'vitest';

const enc = new TextEncoder();

/** A binary body: JSON header, then the given raw bytes. */
function binaryBody(
  header: unknown,
  ...parts: number[][]
): { body: Uint8Array; headerLength: number } {
  const json = enc.encode(JSON.stringify(header));
  const tail = parts.flat();
  const body = new Uint8Array(json.length + tail.length);
  body.set(json);
  body.set(tail, json.length);
  return { body, headerLength: json.length };
}

const input = (fields: Record<string, unknown>) => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1], ...fields }],
});
const f32 = (...values: number[]) => [...new Uint8Array(new Float32Array(values).buffer)];
const u32 = (value: number) => [
  value & 255,
  (value >>> 8) & 255,
  (value >>> 16) & 255,
  value >>> 24,
];

interface Case {
  body: unknown;
  headerLength?: number | string;
  message: RegExp | string;
  input?: string;
  index?: number;
}

const CASES: Record<string, Case> = {
  'non-object JSON: an array': {
    body: '[1,2]',
    message: 'request body must be a JSON object, got an array',
  },
  'non-object JSON: null': {
    body: 'null',
    message: 'request body must be a JSON object, got null',
  },
  'non-object JSON: a string': {
    body: '"hi"',
    message: 'request body must be a JSON object, got "hi"',
  },
  'invalid JSON': { body: '{"inputs": [', message: /^request body is not valid JSON: / },
  'empty body': {
    body: new Uint8Array(0),
    message: 'request body is empty; expected a JSON object',
  },
  'body bytes that are not UTF-8': {
    body: new Uint8Array([0x7b, 0xff, 0x7d]),
    message: 'request body is not valid UTF-8',
  },
  'inputs missing': { body: '{"id":"1"}', message: 'inputs is missing' },
  'inputs not an array': {
    body: { inputs: { x: 1 } },
    message: 'inputs must be an array, got an object',
  },
  'an input that is not an object': {
    body: { inputs: [7] },
    message: 'inputs[0] must be an object, got 7',
  },
  'input without a name': {
    body: { inputs: [{ datatype: 'FP32', shape: [1], data: [1] }] },
    message: 'inputs[0].name must be a non-empty string, got nothing',
  },
  'id that is not a string': {
    body: { id: 42, inputs: [] },
    message: 'id must be a string, got 42',
  },
  'wrong datatype name': {
    body: input({ datatype: 'FLOAT32' }),
    message: /^inputs\[0\] "x": datatype must be one of BOOL, UINT8, .*, BYTES, got "FLOAT32"$/,
    input: 'x',
  },
  'a datatype OIP does not have': {
    body: input({ datatype: 'FP8' }),
    message: /got "FP8"$/,
    input: 'x',
  },
  'BF16 out of range': {
    body: input({ datatype: 'BF16', shape: [1], data: [1e39] }),
    message: 'inputs[0] "x": data element 0 must be a finite number within BF16 range, got 1e+39',
    input: 'x',
  },
  'shape not an array': {
    body: input({ shape: 3 }),
    message: 'inputs[0] "x": shape must be an array of integers, got 3',
  },
  'negative dimension': {
    body: input({ shape: [2, -1], data: [1, 2] }),
    message: 'inputs[0] "x": shape[1] must be a non-negative integer, got -1 (shape [2,-1])',
  },
  'non-integer dimension': {
    body: input({ shape: [1.5] }),
    message: /shape\[0\] must be a non-negative integer, got 1\.5/,
  },
  'dimension given as a string': {
    body: input({ shape: ['2'] }),
    message: /shape\[0\] must be a non-negative integer, got "2"/,
  },
  'huge dims whose product overflows 2^53': {
    body: input({ shape: [1e9, 1e9, 1e9] }),
    message:
      'inputs[0] "x": shape [1000000000,1000000000,1000000000] has more than 2^53 elements; no tensor can be that large',
  },
  'huge dims with one value (nothing allocated)': {
    body: input({ shape: [100000, 100000], data: [1] }),
    message: 'inputs[0] "x": data has 1 element but shape [100000,100000] needs 10000000000',
  },
  'shape/data mismatch (spec Example 1, BOOL [3] with one value)': {
    body: { inputs: [{ name: 'input1', shape: [3], datatype: 'BOOL', data: [true] }] },
    message: 'inputs[0] "input1": data has 1 element but shape [3] needs 3',
    input: 'input1',
  },
  'scalar shape [] with two values': {
    body: input({ shape: [], data: [1, 2] }),
    message: 'inputs[0] "x": data has 2 elements but shape [] needs 1',
  },
  'data missing': {
    body: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }] },
    message: 'inputs[0] "x": data is missing',
  },
  'data not an array': {
    body: input({ data: 5 }),
    message: 'inputs[0] "x": data must be an array, got 5',
  },
  'UINT8 overflow': {
    body: input({ datatype: 'UINT8', shape: [3], data: [1, 256, 3] }),
    message: 'inputs[0] "x": data element 1 must be an integer in [0, 255] (UINT8), got 256',
    input: 'x',
    index: 1,
  },
  'INT8 underflow': {
    body: input({ datatype: 'INT8', shape: [2], data: [0, -129] }),
    message: 'inputs[0] "x": data element 1 must be an integer in [-128, 127] (INT8), got -129',
    index: 1,
  },
  'INT16 overflow': {
    body: input({ datatype: 'INT16', data: [32768] }),
    message: /data element 0 must be an integer in \[-32768, 32767\] \(INT16\), got 32768/,
  },
  'UINT16 negative': {
    body: input({ datatype: 'UINT16', data: [-1] }),
    message: /must be an integer in \[0, 65535\] \(UINT16\), got -1/,
  },
  'UINT32 overflow': {
    body: input({ datatype: 'UINT32', data: [4294967296] }),
    message: /\[0, 4294967295\] \(UINT32\), got 4294967296/,
  },
  'INT32 non-integer': {
    body: input({ datatype: 'INT32', data: [1.5] }),
    message: /data element 0 must be an integer in \[-2147483648, 2147483647\] \(INT32\), got 1\.5/,
  },
  'INT32 given a boolean': {
    body: input({ datatype: 'INT32', data: [true] }),
    message: /\(INT32\), got true$/,
  },
  'INT64 beyond 2^53 as a JSON number': {
    body: input({ datatype: 'INT64', data: [2 ** 60] }),
    message:
      /data element 0 must be an integer within ±\(2\^53-1\) \(INT64; past that a JSON number loses precision: send a decimal string\), got 1152921504606847000/,
  },
  'INT64 decimal string out of range': {
    body: input({ datatype: 'INT64', data: ['9223372036854775808'] }),
    message:
      /must be an integer in \[-9223372036854775808, 9223372036854775807\] \(INT64\), got "9223372036854775808"/,
  },
  'UINT64 negative': {
    body: input({ datatype: 'UINT64', data: [-1] }),
    message: /must be an integer in \[0, 18446744073709551615\] \(UINT64\), got -1/,
  },
  'INT64 non-numeric string': {
    body: input({ datatype: 'INT64', data: ['12a'] }),
    message: /must be an integer or a decimal string \(INT64\), got "12a"/,
  },
  'FP32 given a string': {
    body: input({ shape: [2], data: [1, '2.0'] }),
    message: 'inputs[0] "x": data element 1 must be a number (FP32), got "2.0"',
    index: 1,
  },
  'FP32 overflow (finite double, infinite float)': {
    body: input({ data: [1e39] }),
    message: /data element 0 must be a finite number within FP32 range, got 1e\+39/,
  },
  'FP64 Infinity (1e400 in the JSON text)': {
    body: '{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1e400]}]}',
    message: /data element 0 must be a finite number \(FP64\), got Infinity/,
  },
  'NaN in a parsed object': {
    body: input({ data: [Number.NaN] }),
    message: /data element 0 must be a finite number within FP32 range, got NaN/,
  },
  'FP16 overflow': {
    body: input({ datatype: 'FP16', data: [70000] }),
    message: /finite number within FP16 range \(\|x\| < 65520\), got 70000/,
  },
  'BOOL given 1': {
    body: input({ datatype: 'BOOL', data: [1] }),
    message: /data element 0 must be true or false \(BOOL\), got 1/,
  },
  'BYTES given a number': {
    body: input({ datatype: 'BYTES', data: [3] }),
    message: /data element 0 must be a string \(BYTES\), got 3/,
  },
  'BYTES string with a lone high surrogate (a JSON escape)': {
    body: '{"inputs":[{"name":"s","datatype":"BYTES","shape":[2],"data":["ok","ab\\ud800c"]}]}',
    message: 'inputs[0] "s": data element 1 must be well-formed text, got "ab\\ud800c"',
    input: 's',
    index: 1,
  },
  'BYTES string with a lone low surrogate after a valid pair': {
    body: '{"inputs":[{"name":"s","datatype":"BYTES","shape":[1],"data":["\\ud83d\\ude00\\udc00"]}]}',
    message: 'inputs[0] "s": data element 0 must be well-formed text, got "😀\\udc00"',
    index: 0,
  },
  'a nested array inside flat data': {
    body: input({ shape: [2], data: [1, [2]] }),
    message: /data element 1 must be a number \(FP32\), got an array/,
  },
  'nested data that does not follow the shape': {
    body: input({ shape: [2, 2], data: [[1, 2], [3]] }),
    message:
      'inputs[0] "x": nested data does not match shape [2,2]: data[1] has 1 items, expected 2',
  },
  'nested data deeper than the shape': {
    body: input({ shape: [1, 1], data: [[[1]]] }),
    message:
      /nested data does not match shape \[1,1\]: data\[0\]\[0\] is an array, expected a value/,
  },
  'nested data for a 1-D shape': {
    body: input({ shape: [1], data: [[1]] }),
    message:
      /nested data does not match shape \[1\]: data\[0\] is an array but shape has 1 dimension/,
  },
  'duplicate input names': {
    body: { inputs: [input({}).inputs[0], input({}).inputs[0]] },
    message: 'inputs[1]: duplicate name "x"',
  },
  'duplicate output names': {
    body: { ...input({}), outputs: [{ name: 'y' }, { name: 'y' }] },
    message: 'outputs[1]: duplicate name "y"',
  },
  'outputs not an array': {
    body: { ...input({}), outputs: 'y' },
    message: 'outputs must be an array, got "y"',
  },
  'parameters not an object': {
    body: { ...input({}), parameters: [1] },
    message: 'parameters must be an object, got an array',
  },
  'a parameter holding an object': {
    body: input({ parameters: { shape: { a: 1 } } }),
    message: 'inputs[0] "x": parameters.shape must be a string, number or boolean, got an object',
  },
  'binary_data_output not a boolean': {
    body: { ...input({}), parameters: { binary_data_output: 'yes' } },
    message: 'parameters.binary_data_output must be a boolean, got "yes"',
  },
  'binary_data on an output not a boolean': {
    body: { ...input({}), outputs: [{ name: 'y', parameters: { binary_data: 1 } }] },
    message: 'outputs[0] "y": parameters.binary_data must be a boolean, got 1',
  },
  'binary_data_size without a binary body': {
    body: {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } }],
    },
    message: /^inputs\[0\] "x": parameters.binary_data_size is set but the body has no binary part/,
  },
  'both data and binary_data_size': {
    body: input({ parameters: { binary_data_size: 4 } }),
    message: 'inputs[0] "x": has both data and parameters.binary_data_size; send one',
  },
  'negative binary_data_size': {
    ...binaryBody(
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1], parameters: { binary_data_size: -4 } }],
      },
      f32(1),
    ),
    message: 'inputs[0] "x": parameters.binary_data_size must be a non-negative integer, got -4',
  },
  'header length past the end of the body': {
    body: enc.encode('{"inputs":[]}'),
    headerLength: 1000,
    message: 'Inference-Header-Content-Length is 1000 but the body has only 13 bytes',
  },
  'negative header length': {
    body: enc.encode('{"inputs":[]}'),
    headerLength: '-5',
    message: 'Inference-Header-Content-Length must be a non-negative integer, got "-5"',
  },
  'header length that is not a number': {
    body: enc.encode('{"inputs":[]}'),
    headerLength: 'abc',
    message: /must be a non-negative integer, got "abc"/,
  },
  'header length cutting the JSON short': {
    body: enc.encode('{"inputs":[]}'),
    headerLength: 5,
    message: /^the JSON header of the request body is not valid JSON: /,
  },
  'binary header with a text body': {
    body: '{"inputs":[]}',
    headerLength: 13,
    message:
      'a request body with Inference-Header-Content-Length must be bytes (Uint8Array), got string',
  },
  'truncated binary body': {
    ...binaryBody(
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [4], parameters: { binary_data_size: 16 } }],
      },
      f32(1, 2),
    ),
    message:
      'inputs[0] "x": binary_data_size 16 runs past the end of the body (8 binary bytes left at offset 0)',
  },
  'binary size that does not match the shape': {
    ...binaryBody(
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [3], parameters: { binary_data_size: 8 } }],
      },
      f32(1, 2),
    ),
    message: 'inputs[0] "x": parameters.binary_data_size is 8 bytes but 3 FP32 elements need 12',
  },
  'bytes left after the last binary tensor': {
    ...binaryBody(
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } }],
      },
      f32(1, 2),
    ),
    message:
      'the body has 4 bytes after the last binary tensor (binary_data_size values add up to 4 of 8)',
  },
  'BYTES length prefix past the end': {
    ...binaryBody(
      {
        inputs: [{ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } }],
      },
      u32(100),
      [1, 2],
    ),
    message: 'inputs[0] "s": BYTES element 0 declares 100 bytes but only 2 are left',
    input: 's',
    index: 0,
  },
  'BYTES length prefix cut short': {
    ...binaryBody(
      {
        inputs: [{ name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 8 } }],
      },
      u32(2),
      [1, 2],
      [0, 0],
    ),
    message:
      'inputs[0] "s": BYTES element 1 needs a 4-byte length at offset 6 but only 2 bytes are left',
    index: 1,
  },
  'BYTES count that cannot fit': {
    ...binaryBody(
      {
        inputs: [
          {
            name: 's',
            datatype: 'BYTES',
            shape: [1000000000],
            parameters: { binary_data_size: 4 },
          },
        ],
      },
      u32(0),
    ),
    message:
      'inputs[0] "s": 1000000000 BYTES elements need at least 4000000000 bytes but parameters.binary_data_size is 4',
  },
  'BOOL byte that is not 0 or 1': {
    ...binaryBody(
      {
        inputs: [{ name: 'b', datatype: 'BOOL', shape: [2], parameters: { binary_data_size: 2 } }],
      },
      [1, 2],
    ),
    message: 'inputs[0] "b": data element 1 must be 0 or 1 (BOOL), got 2',
    index: 1,
  },
};

describe('malformed requests are CodecErrors with helpful messages, never crashes', () => {
  it('has at least 30 cases', () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(30);
  });

  it.each(Object.entries(CASES))('%s', (_name, { body, headerLength, message, input, index }) => {
    let caught: unknown;
    try {
      decodeInferenceRequest(body, headerLength === undefined ? {} : { headerLength });
    } catch (error) {
      caught = error;
    }
    expect(caught, 'expected a CodecError').toBeDefined();
    expect(CodecError.isInstance(caught), String(caught)).toBe(true);
    const error = caught as CodecError;
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('INFER_ERR_CODEC');
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
    if (input !== undefined) expect(error.input).toBe(input);
    if (index !== undefined) expect(error.index).toBe(index);
  });
});

describe('a leading byte order mark (RFC 8259, 8.1: a parser may ignore it)', () => {
  const json = '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1.5]}]}';

  it('is ignored before a JSON body, as bytes and as text', () => {
    const bytes = enc.encode(`\ufeff${json}`);
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0xef, 0xbb, 0xbf]);
    for (const body of [bytes, `\ufeff${json}`]) {
      const request = decodeInferenceRequest(body);
      expect(Array.from(request.inputs[0]!.data as Float32Array)).toEqual([1.5]);
    }
  });

  it('is not looked for in a binary body (its JSON header length counts every byte)', () => {
    const header = enc.encode(
      '\ufeff{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"parameters":{"binary_data_size":4}}]}',
    );
    const body = new Uint8Array([...header, ...f32(2.5)]);
    expect(() => decodeInferenceRequest(body, { headerLength: header.length })).toThrow(
      /^the JSON header of the request body is not valid JSON: /,
    );
  });

  it('is kept anywhere else: a body of only a BOM is empty, a second one is invalid JSON', () => {
    expect(() => decodeInferenceRequest('\ufeff')).toThrow(
      'request body is empty; expected a JSON object',
    );
    expect(() => decodeInferenceRequest(`\ufeff\ufeff${json}`)).toThrow(
      /^request body is not valid JSON: /,
    );
  });
});

describe('formatShape', () => {
  it('shows a shape as messages do, cut short past 16 dims', () => {
    expect(formatShape([2, 3])).toBe('[2,3]');
    expect(formatShape([])).toBe('[]');
    const long = formatShape(new Array(500_000).fill(1));
    expect(long).toBe(`[${new Array(16).fill(1).join(',')},... (500000 dims)]`);
  });
});
