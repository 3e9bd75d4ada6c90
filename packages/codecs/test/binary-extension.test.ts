import {
  BINARY_HEADER,
  concatBytes,
  decodeInferenceRequest,
  decodeInferenceResponse,
  encodeInferenceRequest,
  encodeInferenceResponse,
  encodeInferenceResponseBody,
  encodeInferenceResponseParts,
  type Tensor,
} from '@infer/codecs';
import { describe, expect, it } from 'vitest';

const enc = new TextEncoder();

/** A body whose JSON header is padded with spaces to `pad` bytes past a multiple of 8. */
function bodyWithHeaderAt(header: unknown, payload: Uint8Array, pad: number) {
  let json = JSON.stringify(header);
  while (json.length % 8 !== pad) json += ' ';
  const body = new Uint8Array(json.length + payload.length);
  body.set(enc.encode(json));
  body.set(payload, json.length);
  return { body, headerLength: json.length };
}

const header = (size: number) => ({
  inputs: [{ name: 'x', datatype: 'FP64', shape: [2], parameters: { binary_data_size: size } }],
});
const payload = new Uint8Array(new Float64Array([1.5, -2]).buffer);

describe('binary request bodies', () => {
  it('gives typed views over the body without copying when aligned', () => {
    const { body, headerLength } = bodyWithHeaderAt(header(16), payload, 0);
    const data = decodeInferenceRequest(body, { headerLength }).inputs[0]!.data as Float64Array;
    expect(Array.from(data)).toEqual([1.5, -2]);
    expect(data.buffer).toBe(body.buffer);
    expect(data.byteOffset).toBe(headerLength);
    body[headerLength + 7] = 0x40; // writing the body shows through the view: no copy
    expect(data[0]).not.toBe(1.5);
  });

  it('copies only when the tensor is misaligned, with the same values', () => {
    const { body, headerLength } = bodyWithHeaderAt(header(16), payload, 3);
    const data = decodeInferenceRequest(body, { headerLength }).inputs[0]!.data as Float64Array;
    expect(Array.from(data)).toEqual([1.5, -2]);
    expect(data.buffer).not.toBe(body.buffer);
  });

  it('copies a misaligned tensor out of a Node Buffer body too (Buffer#slice is a view)', () => {
    const { body, headerLength } = bodyWithHeaderAt(header(16), payload, 3);
    const buffer = Buffer.from(body);
    const data = decodeInferenceRequest(buffer, { headerLength }).inputs[0]!.data as Float64Array;
    expect(Array.from(data)).toEqual([1.5, -2]);
    expect(data.buffer).not.toBe(buffer.buffer);
  });

  it('respects the byteOffset of a body that is a view into a larger buffer', () => {
    const { body, headerLength } = bodyWithHeaderAt(header(16), payload, 0);
    const big = new Uint8Array(body.length + 5);
    big.set(body, 5);
    const view = big.subarray(5);
    const data = decodeInferenceRequest(view, { headerLength }).inputs[0]!.data as Float64Array;
    expect(Array.from(data)).toEqual([1.5, -2]);
  });

  it('reads BYTES as 4-byte little-endian lengths and the bytes, as Triton sends them', () => {
    // Triton's layout for ["ab", "", "xyz"].
    const raw = [2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0, 3, 0, 0, 0, 0x78, 0x79, 0x7a];
    const { body, headerLength } = bodyWithHeaderAt(
      {
        inputs: [
          {
            name: 's',
            datatype: 'BYTES',
            shape: [3],
            parameters: { binary_data_size: raw.length },
          },
        ],
      },
      new Uint8Array(raw),
      1,
    );
    const data = decodeInferenceRequest(body, { headerLength }).inputs[0]!.data as Uint8Array[];
    expect(data.map((item) => new TextDecoder().decode(item))).toEqual(['ab', '', 'xyz']);
    expect(data[0]!.buffer).toBe(body.buffer);
    const encoded = encodeInferenceRequest(
      { inputs: [{ name: 's', datatype: 'BYTES', shape: [3], data }] },
      { binary: true },
    );
    const length = Number(encoded.headers[BINARY_HEADER]);
    expect(Array.from(encoded.body.subarray(length))).toEqual(raw);
  });

  it('pads the JSON header of bodies it builds, so the first tensor decodes as a view', () => {
    const tensor: Tensor = {
      name: 'x',
      datatype: 'FP64',
      shape: [3],
      data: new Float64Array([1, 2, 3]),
    };
    const { body, headers } = encodeInferenceRequest(
      { id: 'odd-length-id', inputs: [tensor] },
      { binary: true },
    );
    const length = Number(headers[BINARY_HEADER]);
    expect(length % 8).toBe(0);
    expect(body[length - 1]).toBe(0x20);
    const data = decodeInferenceRequest(body, { headerLength: length }).inputs[0]!
      .data as Float64Array;
    expect(data.buffer).toBe(body.buffer);
    expect(Array.from(data)).toEqual([1, 2, 3]);
  });

  it('accepts the header length as the raw header string', () => {
    const { body, headerLength } = bodyWithHeaderAt(header(16), payload, 0);
    expect(decodeInferenceRequest(body, { headerLength: ` ${headerLength}` }).inputs).toHaveLength(
      1,
    );
  });

  it('encodes a binary request with the header, content type and binary_data_size', () => {
    const tensor: Tensor = {
      name: 'x',
      datatype: 'INT16',
      shape: [3],
      data: new Int16Array([1, -1, 300]),
    };
    const { body, headers } = encodeInferenceRequest(
      { id: 'a', inputs: [tensor], outputs: [{ name: 'y' }] },
      { binary: true },
    );
    expect(headers['content-type']).toBe('application/octet-stream');
    const length = Number(headers[BINARY_HEADER]);
    const json = JSON.parse(new TextDecoder().decode(body.subarray(0, length)));
    expect(json).toEqual({
      id: 'a',
      outputs: [{ name: 'y' }],
      inputs: [{ name: 'x', datatype: 'INT16', shape: [3], parameters: { binary_data_size: 6 } }],
    });
    expect(Array.from(new Int16Array(body.slice(length).buffer))).toEqual([1, -1, 300]);
  });
});

describe('binary responses honour binary_data_output and per-output binary_data', () => {
  const outputs: Tensor[] = [
    { name: 'a', datatype: 'FP32', shape: [2], data: new Float32Array([1, 2]) },
    { name: 'b', datatype: 'UINT8', shape: [1], data: new Uint8Array([9]) },
  ];
  const response = { model_name: 'm', model_version: '2', outputs };
  const jsonOf = (encoded: { body: Uint8Array; headers: Record<string, string> }) => {
    const length = Number(encoded.headers[BINARY_HEADER] ?? encoded.body.length);
    return JSON.parse(new TextDecoder().decode(encoded.body.subarray(0, length)));
  };

  it('is JSON without a request or without binary parameters', () => {
    for (const request of [undefined, {}, { outputs: [{ name: 'a' }] }]) {
      const encoded = encodeInferenceResponse(response, request);
      expect(encoded.headers).toEqual({ 'content-type': 'application/json' });
      expect(jsonOf(encoded).outputs[0].data).toEqual([1, 2]);
    }
  });

  it('binary_data_output: true sends every output binary', () => {
    const encoded = encodeInferenceResponse(response, { parameters: { binary_data_output: true } });
    expect(encoded.headers['content-type']).toBe('application/octet-stream');
    const json = jsonOf(encoded);
    expect(json.outputs.map((o: { parameters: unknown }) => o.parameters)).toEqual([
      { binary_data_size: 8 },
      { binary_data_size: 1 },
    ]);
    expect(json.outputs[0].data).toBeUndefined();
    expect(encoded.body.length).toBe(Number(encoded.headers[BINARY_HEADER]) + 9);
  });

  it('per-output binary_data wins over binary_data_output', () => {
    const encoded = encodeInferenceResponse(response, {
      parameters: { binary_data_output: true },
      outputs: [{ name: 'b', parameters: { binary_data: false } }],
    });
    const json = jsonOf(encoded);
    expect(json.outputs[0].parameters).toEqual({ binary_data_size: 8 });
    expect(json.outputs[1].data).toEqual([9]);
    const decoded = decodeInferenceResponse(encoded.body, {
      headerLength: encoded.headers[BINARY_HEADER],
    });
    expect(decoded.model_version).toBe('2');
    expect(decoded.outputs[0]!.data).toEqual(new Float32Array([1, 2]));
    expect(decoded.outputs[1]!.data).toEqual(new Uint8Array([9]));
  });

  it('only one output binary when only it asks', () => {
    const encoded = encodeInferenceResponse(response, {
      outputs: [{ name: 'b', parameters: { binary_data: true } }],
    });
    const json = jsonOf(encoded);
    expect(json.outputs[0].data).toEqual([1, 2]);
    expect(json.outputs[1].parameters).toEqual({ binary_data_size: 1 });
    expect(Array.from(encoded.body.subarray(Number(encoded.headers[BINARY_HEADER])))).toEqual([9]);
  });

  it('carries NaN and Infinity in binary, which JSON refuses', () => {
    const special: Tensor = {
      name: 'n',
      datatype: 'FP32',
      shape: [2],
      data: new Float32Array([Number.NaN, Number.NEGATIVE_INFINITY]),
    };
    expect(() => encodeInferenceResponse({ model_name: 'm', outputs: [special] })).toThrow(
      /NaN, which JSON cannot carry/,
    );
    const encoded = encodeInferenceResponse(
      { model_name: 'm', outputs: [special] },
      { parameters: { binary_data_output: true } },
    );
    const decoded = decodeInferenceResponse(encoded.body, {
      headerLength: encoded.headers[BINARY_HEADER],
    });
    expect(Array.from(decoded.outputs[0]!.data as Float32Array)).toEqual([
      Number.NaN,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it('normalises BOOL bytes to 0/1 on the wire', () => {
    const encoded = encodeInferenceResponse(
      {
        model_name: 'm',
        outputs: [{ name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([0, 7]) }],
      },
      { parameters: { binary_data_output: true } },
    );
    expect(Array.from(encoded.body.subarray(Number(encoded.headers[BINARY_HEADER])))).toEqual([
      0, 1,
    ]);
  });
});

describe('encodeInferenceResponseParts: the same body, not joined', () => {
  const outputs: Tensor[] = [
    { name: 'a', datatype: 'FP32', shape: [3], data: new Float32Array([1, 2, 3]) },
    { name: 'b', datatype: 'INT8', shape: [2], data: new Int8Array([-1, 7]) },
  ];
  const response = { model_name: 'm', id: 'r1', outputs };
  const join = (parts: Uint8Array[]) => Buffer.concat(parts);

  it('gives the padded header, then each binary output as a view over its data', () => {
    const request = { parameters: { binary_data_output: true } };
    const { parts, byteLength, headers } = encodeInferenceResponseParts(response, request);
    const whole = encodeInferenceResponse(response, request);
    expect(headers).toEqual(whole.headers);
    expect(parts).toHaveLength(3);
    expect(byteLength).toBe(whole.body.byteLength);
    expect(join(parts).equals(Buffer.from(whole.body))).toBe(true);
    expect(parts[0]!.byteLength).toBe(Number(headers[BINARY_HEADER]));
    expect(parts[0]!.byteLength % 8).toBe(0);
    // No copy of the tensors: the parts are the outputs' own memory.
    expect(parts[1]!.buffer).toBe((outputs[0]!.data as Float32Array).buffer);
    expect(parts[2]!.buffer).toBe((outputs[1]!.data as Int8Array).buffer);
    const decoded = decodeInferenceResponse(join(parts), {
      headerLength: headers[BINARY_HEADER],
    });
    expect(decoded.id).toBe('r1');
    expect(decoded.outputs[1]!.data).toEqual(new Int8Array([-1, 7]));
  });

  it('is one part for a JSON answer', () => {
    const { parts, byteLength, headers } = encodeInferenceResponseParts(response);
    expect(parts).toHaveLength(1);
    expect(byteLength).toBe(parts[0]!.byteLength);
    expect(headers).toEqual({ 'content-type': 'application/json' });
    expect(Buffer.from(parts[0]!).equals(Buffer.from(encodeInferenceResponse(response).body))).toBe(
      true,
    );
  });
});

describe('encodeInferenceResponseBody: JSON as text, binary as parts', () => {
  const response = {
    model_name: 'm',
    outputs: [
      { name: 'a', datatype: 'FP32', shape: [2], data: new Float32Array([0.1, 2]) },
      { name: 'é', datatype: 'BYTES', shape: [1], data: [enc.encode('snow ☃')] },
    ] as Tensor[],
  };

  it('gives a JSON answer as the text whose UTF-8 bytes encodeInferenceResponse makes', () => {
    const encoded = encodeInferenceResponseBody(response);
    expect(encoded.parts).toBeUndefined();
    expect(encoded.headers).toEqual({ 'content-type': 'application/json' });
    const whole = encodeInferenceResponse(response);
    expect(Buffer.from(encoded.text!).equals(Buffer.from(whole.body))).toBe(true);
    expect(JSON.parse(encoded.text!).outputs[1].data).toEqual(['snow ☃']);
  });

  it('gives a binary answer as the parts encodeInferenceResponseParts makes', () => {
    const request = { parameters: { binary_data_output: true } };
    const encoded = encodeInferenceResponseBody(response, request);
    const parts = encodeInferenceResponseParts(response, request);
    expect(encoded.text).toBeUndefined();
    expect(encoded.headers).toEqual(parts.headers);
    expect(encoded.byteLength).toBe(parts.byteLength);
    expect(Buffer.concat(encoded.parts!).equals(Buffer.concat(parts.parts))).toBe(true);
  });

  it('refuses what JSON cannot carry, as encodeInferenceResponse does', () => {
    const bad = {
      model_name: 'm',
      outputs: [{ name: 'n', datatype: 'FP32', shape: [1], data: new Float32Array([Number.NaN]) }],
    } as { model_name: string; outputs: Tensor[] };
    expect(() => encodeInferenceResponseBody(bad)).toThrow(/NaN|finite/i);
  });
});

describe('concatBytes', () => {
  it('copies the parts in order into one new buffer, empty parts included', () => {
    const a = new Uint8Array([1, 2]);
    const view = new Uint8Array([9, 3, 4, 9]).subarray(1, 3);
    const joined = concatBytes([a, new Uint8Array(0), view], 4);
    expect(Array.from(joined)).toEqual([1, 2, 3, 4]);
    expect(joined.buffer).not.toBe(a.buffer);
    expect(Buffer.isBuffer(joined)).toBe(false);
    expect(concatBytes([], 0)).toHaveLength(0);
  });
});
