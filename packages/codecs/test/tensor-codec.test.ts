import {
  bfloat16sToFloat32,
  bfloat16ToFloat32,
  CodecError,
  createTypedArray,
  DATATYPE_SIZES,
  DATATYPES,
  dataFromValues,
  datatypeOf,
  decodeTensor,
  elementCount,
  elementSize,
  encodeTensor,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToBfloat16s,
  float32ToFloat16,
  float32ToHalves,
  halvesToFloat32,
  isDatatype,
} from '@infer/codecs';
import { describe, expect, it } from 'vitest';

describe('decodeTensor', () => {
  it('reads flat and nested row-major data into the same typed array', () => {
    const flat = decodeTensor({
      name: 'x',
      datatype: 'INT32',
      shape: [2, 3],
      data: [1, 2, 3, 4, 5, 6],
    });
    const nested = decodeTensor({
      name: 'x',
      datatype: 'INT32',
      shape: [2, 3],
      data: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
    expect(flat.data).toBeInstanceOf(Int32Array);
    expect(Array.from(flat.data as Int32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(nested.data).toEqual(flat.data);
  });

  it('treats shape [] as a scalar with one element, and zero-size shapes as empty', () => {
    expect(decodeTensor({ name: 's', datatype: 'FP64', shape: [], data: [2.5] }).data).toEqual(
      new Float64Array([2.5]),
    );
    expect(decodeTensor({ name: 'e', datatype: 'FP32', shape: [0, 3], data: [] }).data).toEqual(
      new Float32Array(0),
    );
  });

  it('stores 64-bit integers as BigInt, from safe numbers or decimal strings', () => {
    const t = decodeTensor({
      name: 'i',
      datatype: 'INT64',
      shape: [3],
      data: [-5, '9223372036854775807', '-9223372036854775808'],
    });
    expect(t.data).toEqual(new BigInt64Array([-5n, 2n ** 63n - 1n, -(2n ** 63n)]));
    const u = decodeTensor({
      name: 'u',
      datatype: 'UINT64',
      shape: [1],
      data: ['18446744073709551615'],
    });
    expect(u.data).toEqual(new BigUint64Array([2n ** 64n - 1n]));
  });

  it('stores BOOL as 0/1 bytes, FP16 as raw halves, BYTES as UTF-8 Uint8Arrays', () => {
    expect(
      decodeTensor({ name: 'b', datatype: 'BOOL', shape: [2], data: [true, false] }).data,
    ).toEqual(new Uint8Array([1, 0]));
    expect(decodeTensor({ name: 'h', datatype: 'FP16', shape: [2], data: [1, -2] }).data).toEqual(
      new Uint16Array([0x3c00, 0xc000]),
    );
    const bytes = decodeTensor({ name: 's', datatype: 'BYTES', shape: [2], data: ['hé', ''] })
      .data as Uint8Array[];
    expect(bytes.map((b) => Array.from(b))).toEqual([[0x68, 0xc3, 0xa9], []]);
  });

  it('takes a surrogate pair written as two JSON escapes, and refuses a lone one', () => {
    const pair = JSON.parse('["\\ud83d\\ude00"]') as string[];
    const data = decodeTensor({ name: 's', datatype: 'BYTES', shape: [1], data: pair })
      .data as Uint8Array[];
    expect(Array.from(data[0]!)).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    const lone = JSON.parse('["\\ude00"]') as string[];
    expect(() => decodeTensor({ name: 's', datatype: 'BYTES', shape: [1], data: lone })).toThrow(
      /data element 0 must be well-formed text, got "\\ude00"/,
    );
  });

  it('keeps parameters other than binary_data_size', () => {
    const t = decodeTensor({
      name: 'x',
      datatype: 'BYTES',
      shape: [1],
      data: ['a'],
      parameters: { content_type: 'str' },
    });
    expect(t.parameters).toEqual({ content_type: 'str' });
  });

  it('rejects a tensor whose data is in the binary extension', () => {
    expect(() =>
      decodeTensor({
        name: 'x',
        datatype: 'FP32',
        shape: [1],
        parameters: { binary_data_size: 4 },
      }),
    ).toThrow(/data is in the binary extension/);
  });

  it('names the tensor by the path given', () => {
    expect(() =>
      decodeTensor({ name: 'x', datatype: 'UINT8', shape: [1], data: [-1] }, 'inputs[3]'),
    ).toThrow('inputs[3] "x": data element 0 must be an integer in [0, 255] (UINT8), got -1');
  });

  it('flattens deep nesting without recursion (rank 20000)', () => {
    const rank = 20_000;
    let data: unknown = [7];
    for (let i = 1; i < rank; i++) data = [data];
    const t = decodeTensor({
      name: 'deep',
      datatype: 'INT8',
      shape: new Array(rank).fill(1),
      data,
    });
    expect(t.data).toEqual(new Int8Array([7]));
  });

  it('rejects deep nesting that does not follow the shape without overflowing the stack', () => {
    let data: unknown = [1];
    for (let i = 0; i < 50_000; i++) data = [data];
    const error = (() => {
      try {
        decodeTensor({ name: 'deep', datatype: 'INT8', shape: [1, 1], data });
      } catch (e) {
        return e;
      }
    })();
    expect(CodecError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /nested data does not match shape \[1,1\]: data\[0\]\[0\] is an array/,
    );
  });

  it('checks a huge declared shape against the data before allocating anything', () => {
    const shape = [2 ** 26, 2 ** 26];
    expect(() => decodeTensor({ name: 'big', datatype: 'FP64', shape, data: [1] })).toThrow(
      'input "big": data has 1 element but shape [67108864,67108864] needs 4503599627370496',
    );
    expect(() =>
      decodeTensor({ name: 'big', datatype: 'FP64', shape: [...shape, 4], data: [1] }),
    ).toThrow(/more than 2\^53 elements/);
  });
});

describe('encodeTensor', () => {
  it('writes flat data: booleans, numbers, strings, safe 64-bit numbers and larger ones as strings', () => {
    expect(
      encodeTensor({ name: 'b', datatype: 'BOOL', shape: [2, 1], data: new Uint8Array([1, 0]) })
        .data,
    ).toEqual([true, false]);
    expect(
      encodeTensor({
        name: 'i',
        datatype: 'INT64',
        shape: [2],
        data: new BigInt64Array([3n, 2n ** 60n]),
      }).data,
    ).toEqual([3, '1152921504606846976']);
    expect(
      encodeTensor({ name: 'h', datatype: 'FP16', shape: [1], data: new Uint16Array([0x3555]) })
        .data,
    ).toEqual([float16ToFloat32(0x3555)]);
    expect(
      encodeTensor({
        name: 's',
        datatype: 'BYTES',
        shape: [1],
        data: [new TextEncoder().encode('ü')],
      }).data,
    ).toEqual(['ü']);
  });

  it('refuses NaN/Infinity and non-UTF-8 BYTES, which JSON cannot carry', () => {
    expect(() =>
      encodeTensor({
        name: 'y',
        datatype: 'FP32',
        shape: [2],
        data: new Float32Array([0, Number.NaN]),
      }),
    ).toThrow(
      'output "y": data element 1 is NaN, which JSON cannot carry; ask for binary output (binary_data) instead',
    );
    expect(() =>
      encodeTensor({ name: 'y', datatype: 'FP16', shape: [1], data: new Uint16Array([0x7c00]) }),
    ).toThrow(/is Infinity/);
    expect(() =>
      encodeTensor({ name: 's', datatype: 'BYTES', shape: [1], data: [new Uint8Array([0xff])] }),
    ).toThrow(
      'output "s": data element 0 is not valid UTF-8; JSON carries BYTES as UTF-8 text; ask for binary output (binary_data) instead',
    );
  });

  it('refuses data that does not match the shape or the datatype storage', () => {
    expect(() =>
      encodeTensor({ name: 'y', datatype: 'FP32', shape: [3], data: new Float32Array(2) }),
    ).toThrow('output "y": data has 2 elements but shape [3] needs 3');
    expect(() =>
      encodeTensor({ name: 'y', datatype: 'FP32', shape: [2], data: new Float64Array(2) as never }),
    ).toThrow('output "y": data of a FP32 tensor must be Float32Array');
  });
});

describe('datatypes', () => {
  it('knows every element size and storage', () => {
    expect(DATATYPES).toHaveLength(14);
    for (const datatype of DATATYPES) {
      const array = createTypedArray(datatype, 3);
      expect(array).toHaveLength(3);
      if (datatype === 'BYTES') {
        expect(elementSize(datatype)).toBeUndefined();
        expect(datatypeOf(array)).toBe('BYTES');
      } else {
        expect((array as Uint8Array).BYTES_PER_ELEMENT).toBe(DATATYPE_SIZES[datatype]);
      }
    }
    expect(isDatatype('FP32')).toBe(true);
    expect(isDatatype('BF16')).toBe(true);
    expect(isDatatype('FP8')).toBe(false);
    expect(datatypeOf(new BigInt64Array(1))).toBe('INT64');
  });

  it('counts elements safely', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([2 ** 40, 0, 2 ** 40, 2 ** 40])).toBe(0);
    expect(() => elementCount([2 ** 30, 2 ** 30, 2 ** 30])).toThrow(CodecError);
    expect(() => elementCount([1, -1])).toThrow(
      'shape[1] must be a non-negative integer, got -1 (shape [1,-1])',
    );
  });
});

describe('FP16 <-> FP32', () => {
  it('converts known values', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [0.333251953125, 0x3555],
    ];
    for (const [value, bits] of cases) {
      expect(float32ToFloat16(value)).toBe(bits);
      expect(Object.is(float16ToFloat32(bits), value)).toBe(true);
    }
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(Number.NaN)))).toBe(true);
  });

  it('rounds to nearest even and overflows to Infinity', () => {
    expect(float32ToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(float32ToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(float32ToFloat16(65519)).toBe(0x7bff);
    expect(float32ToFloat16(65520)).toBe(0x7c00);
    expect(float32ToFloat16(2 ** -25)).toBe(0); // tie at the smallest subnormal -> 0
    expect(float32ToFloat16(2 ** -25 * 1.5)).toBe(1);
  });

  it('round-trips all 63,488 non-NaN halves, in bulk too', () => {
    const halves = new Uint16Array(65536)
      .map((_, i) => i)
      .filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
    expect(halves.length).toBe(65536 - 2 * 1023);
    for (const h of halves) expect(float32ToFloat16(float16ToFloat32(h))).toBe(h);
    expect(float32ToHalves(halvesToFloat32(halves))).toEqual(halves);
  });
});

/**
 * The values a conversion rounds wrong, next to every halfway point between two adjacent
 * positive finite 16-bit values (`bits` and the next; past the last one, `top` is where
 * Infinity would be), either sign: on the point (to even), and just off it each way (2^-45
 * relative: float32 would round that onto the point, then round it to even).
 */
function misrounded(convert: (value: number) => number, count: number, top: number) {
  const toNumber = count === 0x7c00 ? float16ToFloat32 : bfloat16ToFloat32;
  const wrong: Array<{ value: number; got: number; expected: number }> = [];
  for (let bits = 0; bits < count; bits++) {
    const halfway = (toNumber(bits) + (bits === count - 1 ? top : toNumber(bits + 1))) / 2;
    const off = halfway * 2 ** -45;
    const cases: Array<[number, number]> = [
      [halfway - off, bits],
      [halfway, bits % 2 === 0 ? bits : bits + 1],
      [halfway + off, bits + 1],
    ];
    for (const [value, expected] of cases) {
      for (const sign of [1, -1]) {
        const got = convert(sign * value);
        const want = sign === 1 ? expected : 0x8000 | expected;
        if (got !== want) wrong.push({ value: sign * value, got, expected: want });
      }
    }
  }
  return wrong;
}

describe('FP16 and BF16 from numbers: rounded once, from the float64', () => {
  it('FP16: next to every halfway point, overflow and subnormals included', () => {
    expect(misrounded(float32ToFloat16, 0x7c00, 65536).slice(0, 5)).toEqual([]);
  });

  it('BF16: next to every halfway point, overflow included', () => {
    expect(misrounded(float32ToBfloat16, 0x7f80, 2 ** 128).slice(0, 5)).toEqual([]);
  });

  it('known cases, through the JSON element conversion too (the server path)', () => {
    expect(float32ToFloat16(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c01);
    expect(float32ToFloat16(2049 + 1e-9)).toBe(0x6801);
    expect(float32ToFloat16(65520 - 1e-9)).toBe(0x7bff); // below the overflow tie: finite
    expect(float32ToFloat16(2 ** -25 * (1 + 2 ** -40))).toBe(0x0001); // above the subnormal tie
    expect(float32ToFloat16(-(2 ** -25) * (1 - 2 ** -40))).toBe(0x8000);
    expect(float32ToBfloat16(1 + 2 ** -8 + 2 ** -30)).toBe(0x3f81);
    expect(float32ToBfloat16(-(1 + 2 ** -8 + 2 ** -30))).toBe(0xbf81);
    expect(dataFromValues('FP16', [1 + 2 ** -11 + 2 ** -40, 65520 - 1e-9])).toEqual(
      new Uint16Array([0x3c01, 0x7bff]),
    );
    expect(dataFromValues('BF16', [1 + 2 ** -8 + 2 ** -30])).toEqual(new Uint16Array([0x3f81]));
    // Unchanged: NaN, Infinity, -0, the largest values and what lies past them.
    expect(float32ToFloat16(Number.NaN) & 0x7e00).toBe(0x7e00);
    expect(float32ToBfloat16(Number.NaN) & 0x7fc0).toBe(0x7fc0);
    expect(float32ToFloat16(-0)).toBe(0x8000);
    expect(float32ToBfloat16(-0)).toBe(0x8000);
    expect(float32ToFloat16(1e300)).toBe(0x7c00);
    expect(float32ToBfloat16(-1e300)).toBe(0xff80);
    expect(float32ToFloat16(5e-324)).toBe(0);
  });
});

describe('BF16 <-> FP32', () => {
  it('converts known values and rounds to nearest even', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3f80],
      [-2, 0xc000],
      [3.3895313892515355e38, 0x7f7f], // the largest finite bfloat16
      [Number.POSITIVE_INFINITY, 0x7f80],
      [Number.NEGATIVE_INFINITY, 0xff80],
    ];
    for (const [value, bits] of cases) {
      expect(float32ToBfloat16(value)).toBe(bits);
      expect(Object.is(bfloat16ToFloat32(bits), value)).toBe(true);
    }
    expect(float32ToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // tie -> even (down)
    expect(float32ToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie -> even (up)
    expect(float32ToBfloat16(3.4e38)).toBe(0x7f80); // past the largest finite: Infinity
    expect(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16(Number.NaN)))).toBe(true);
  });

  it('round-trips every non-NaN bfloat16, in bulk too', () => {
    const all = new Uint16Array(65536)
      .map((_, i) => i)
      .filter((b) => (b & 0x7f80) !== 0x7f80 || (b & 0x7f) === 0);
    for (const b of all) expect(float32ToBfloat16(bfloat16ToFloat32(b))).toBe(b);
    expect(float32ToBfloat16s(bfloat16sToFloat32(all))).toEqual(all);
  });

  it('decodes and encodes BF16 JSON as numbers', () => {
    const tensor = decodeTensor({ name: 'x', datatype: 'BF16', shape: [3], data: [1, -2, 0.1] });
    expect(tensor.data).toEqual(new Uint16Array([0x3f80, 0xc000, 0x3dcd]));
    expect(encodeTensor(tensor).data).toEqual([1, -2, 0.10009765625]);
  });
});

describe('dataFromValues', () => {
  it('converts plain values with the JSON decoder checks', () => {
    expect(dataFromValues('UINT8', [1, 2, 255])).toEqual(new Uint8Array([1, 2, 255]));
    expect(dataFromValues('INT64', [1, '9007199254740993', -3n])).toEqual(
      new BigInt64Array([1n, 9007199254740993n, -3n]),
    );
    expect(dataFromValues('UINT64', [2n ** 64n - 1n])).toEqual(
      new BigUint64Array([2n ** 64n - 1n]),
    );
    expect(dataFromValues('BOOL', [true, false])).toEqual(new Uint8Array([1, 0]));
    expect(dataFromValues('FP16', [1, -2.5])).toEqual(new Uint16Array([0x3c00, 0xc100]));
    expect(dataFromValues('BYTES', ['a'])).toEqual([new Uint8Array([97])]);
  });

  it('names `where` and the first bad element in a CodecError', () => {
    expect(() => dataFromValues('UINT8', [1, 256], 'inputs.x')).toThrow(
      new CodecError('inputs.x: data element 1 must be an integer in [0, 255] (UINT8), got 256', {
        index: 1,
      }),
    );
    expect(() => dataFromValues('INT64', [2n ** 63n])).toThrow(
      'tensor: data element 0 must be an integer in [-9223372036854775808, 9223372036854775807] (INT64), got 9223372036854775808',
    );
    expect(() => dataFromValues('FP32', [Number.NaN])).toThrow(/finite number/);
    expect(() => dataFromValues('INT8', [1.5], 'inputs.x', 'x')).toThrow(
      expect.objectContaining({ input: 'x', index: 0 }),
    );
  });
});
