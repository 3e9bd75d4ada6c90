import { describe, expect, it, vi } from 'vitest';
import {
  AdaptiveBatcher,
  BatchAssemblyError,
  BatchItemFailure,
  type BatchRequest,
  type BatchResult,
  type BatchTensor,
  type BatchTypedArray,
  batchKey,
  concatRequests,
  createOipRun,
  requestRows,
  splitResult,
} from '../src/index';

const KINDS: Array<[string, (values: number[]) => BatchTypedArray]> = [
  ['BOOL', (v: number[]) => Uint8Array.from(v)],
  ['UINT8', (v: number[]) => Uint8Array.from(v)],
  ['UINT16', (v: number[]) => Uint16Array.from(v)],
  ['UINT32', (v: number[]) => Uint32Array.from(v)],
  ['UINT64', (v: number[]) => BigUint64Array.from(v, BigInt)],
  ['INT8', (v: number[]) => Int8Array.from(v)],
  ['INT16', (v: number[]) => Int16Array.from(v)],
  ['INT32', (v: number[]) => Int32Array.from(v)],
  ['INT64', (v: number[]) => BigInt64Array.from(v, BigInt)],
  ['FP16', (v: number[]) => Uint16Array.from(v)],
  ['FP32', (v: number[]) => Float32Array.from(v)],
  ['FP64', (v: number[]) => Float64Array.from(v)],
];

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const tensor = (datatype: string, shape: number[], data: BatchTensor['data'], name = 'x') => ({
  name,
  datatype,
  shape,
  data,
});

describe('requestRows', () => {
  it('is dim 0 of the inputs when they agree', () => {
    const request = {
      inputs: [
        tensor('FP32', [3, 2], new Float32Array(6)),
        tensor('INT64', [3], new BigInt64Array(3), 'y'),
      ],
    };
    expect(requestRows(request)).toBe(3);
  });

  it('is undefined for a scalar input, disagreeing dim 0, or no inputs', () => {
    expect(requestRows({ inputs: [tensor('FP32', [], new Float32Array(1))] })).toBeUndefined();
    expect(
      requestRows({
        inputs: [
          tensor('FP32', [2, 2], new Float32Array(4)),
          tensor('FP32', [3], new Float32Array(3), 'y'),
        ],
      }),
    ).toBeUndefined();
    expect(requestRows({ inputs: [] })).toBeUndefined();
  });
});

describe('batchKey', () => {
  const base = (): BatchRequest => ({
    inputs: [
      tensor('FP32', [1, 3, 4], new Float32Array(12)),
      tensor('INT32', [1, 2], new Int32Array(2), 'mask'),
    ],
  });

  it('ignores dim 0, input order, request id and binary_data_output', () => {
    const other = base();
    other.inputs.reverse();
    other.inputs[0]!.shape = [5, 2];
    other.inputs[1]!.shape = [5, 3, 4];
    other.id = 'req-2';
    other.parameters = { binary_data_output: true };
    expect(batchKey(other)).toBe(batchKey(base()));
  });

  it.each([
    ['a datatype', (r: BatchRequest) => Object.assign(r.inputs[0]!, { datatype: 'FP64' })],
    ['a trailing dim', (r: BatchRequest) => Object.assign(r.inputs[0]!, { shape: [1, 3, 5] })],
    ['the rank', (r: BatchRequest) => Object.assign(r.inputs[0]!, { shape: [1, 12] })],
    ['an input name', (r: BatchRequest) => Object.assign(r.inputs[1]!, { name: 'other' })],
    ['requested outputs', (r: BatchRequest) => Object.assign(r, { outputs: [{ name: 'y' }] })],
    ['request parameters', (r: BatchRequest) => Object.assign(r, { parameters: { top_k: 5 } })],
    [
      "an input's parameters",
      (r: BatchRequest) => Object.assign(r.inputs[0]!, { parameters: { content_type: 'str' } }),
    ],
  ])('differs when %s differs', (_what, change) => {
    const changed = base();
    change(changed);
    expect(batchKey(changed)).not.toBe(batchKey(base()));
  });

  it("ignores an input's binary_data_size, and the order of its parameters", () => {
    const a = base();
    a.inputs[0]!.parameters = { content_type: 'str', x: 1, binary_data_size: 48 };
    const b = base();
    b.inputs[0]!.parameters = { x: 1, content_type: 'str' };
    expect(batchKey(a)).toBe(batchKey(b));
  });

  it('treats requested outputs as a set', () => {
    const a = { ...base(), outputs: [{ name: 'y' }, { name: 'z' }] };
    const b = {
      ...base(),
      outputs: [{ name: 'z' }, { name: 'y', parameters: { binary_data: true } }],
    };
    expect(batchKey(a)).toBe(batchKey(b));
  });
});

describe('concatRequests of one-input requests that differ in input parameters', () => {
  it("refuses to merge them (the batch would carry the first one's content type)", () => {
    const bytes = (text: string, contentType: string): BatchRequest => ({
      inputs: [
        {
          name: 'text',
          datatype: 'BYTES',
          shape: [1],
          data: [new TextEncoder().encode(text)],
          parameters: { content_type: contentType },
        },
      ],
    });
    expect(() => concatRequests([bytes('a', 'str'), bytes('aGVsbG8=', 'base64')])).toThrow(
      /does not share the batch key/,
    );
    expect(concatRequests([bytes('a', 'str'), bytes('b', 'str')]).inputs[0]!.shape).toEqual([2]);
  });
});

describe('concatRequests and splitResult', () => {
  it.each(KINDS)('round-trips %s along dim 0 with one allocation', (datatype, make) => {
    const parts = [
      { id: 'a', inputs: [tensor(datatype, [1, 2], make(range(1, 2)))] },
      { id: 'b', inputs: [tensor(datatype, [2, 2], make(range(3, 4)))] },
      { id: 'c', inputs: [tensor(datatype, [3, 2], make(range(7, 6)))] },
    ];
    const merged = concatRequests(parts);
    const input = merged.inputs[0]!;
    expect(input.shape).toEqual([6, 2]);
    expect(input.data.constructor).toBe(parts[0]!.inputs[0]!.data.constructor);
    expect(Array.from(input.data as BatchTypedArray, Number)).toEqual(range(1, 12));
    expect(merged.id).toBeUndefined();
    // the parts are untouched (a copy, not a view over them)
    expect((input.data as BatchTypedArray).buffer).not.toBe(
      (parts[0]!.inputs[0]!.data as BatchTypedArray).buffer,
    );
    // ...on a buffer of its own, whole: a worker pool moves it without a copy
    const own = input.data as BatchTypedArray;
    expect(own.byteOffset).toBe(0);
    expect(own.byteLength).toBe(own.buffer.byteLength);

    const split = splitResult({ outputs: [{ ...input, name: 'y' }] }, [1, 2, 3]);
    expect(split.map((r) => r.outputs[0]!.shape)).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
    split.forEach((result, index) => {
      const data = result.outputs[0]!.data as BatchTypedArray;
      expect(Array.from(data, Number)).toEqual(
        Array.from(parts[index]!.inputs[0]!.data as BatchTypedArray, Number),
      );
      expect(data.buffer).toBe((input.data as BatchTypedArray).buffer); // a view: no copy
    });
  });

  it('concatenates and splits BYTES element lists', () => {
    const bytes = (...words: string[]) => words.map((w) => new TextEncoder().encode(w));
    const merged = concatRequests([
      { inputs: [tensor('BYTES', [1], bytes('a'))] },
      { inputs: [tensor('BYTES', [2], bytes('bc', 'def'))] },
    ]);
    expect(merged.inputs[0]!.shape).toEqual([3]);
    const words = (data: BatchTensor['data']) =>
      (data as Uint8Array[]).map((b) => new TextDecoder().decode(b));
    expect(words(merged.inputs[0]!.data)).toEqual(['a', 'bc', 'def']);
    const split = splitResult({ outputs: [{ ...merged.inputs[0]!, name: 'y' }] }, [1, 2]);
    expect(split.map((r) => words(r.outputs[0]!.data))).toEqual([['a'], ['bc', 'def']]);
  });

  it('concatenates multi-input requests by name, whatever their order', () => {
    const merged = concatRequests([
      {
        inputs: [
          tensor('FP32', [1], new Float32Array([1])),
          tensor('INT32', [1], new Int32Array([10]), 'm'),
        ],
      },
      {
        inputs: [
          tensor('INT32', [1], new Int32Array([20]), 'm'),
          tensor('FP32', [1], new Float32Array([2])),
        ],
      },
    ]);
    expect(
      merged.inputs.map((t) => [t.name, Array.from(t.data as BatchTypedArray, Number)]),
    ).toEqual([
      ['x', [1, 2]],
      ['m', [10, 20]],
    ]);
  });

  it('passes a single request through with no copy', () => {
    const request = { inputs: [tensor('FP32', [1, 2], new Float32Array(2))] };
    expect(concatRequests([request])).toBe(request);
    const result = { outputs: [tensor('FP32', [1, 2], new Float32Array(2))] };
    expect(splitResult(result, [1])[0]).toBe(result);
  });

  it('accepts a Node Buffer as UINT8 data (no deprecated Buffer constructor)', () => {
    const merged = concatRequests([
      { inputs: [tensor('UINT8', [1], Buffer.from([1]))] },
      { inputs: [tensor('UINT8', [1], Buffer.from([2]))] },
    ]);
    expect(merged.inputs[0]!.data).toEqual(new Uint8Array([1, 2]));
  });

  it('refuses requests of different keys, non-batchable ones, bad lengths and mixed kinds', () => {
    const x = (shape: number[], data: BatchTensor['data']) => ({
      inputs: [tensor('FP32', shape, data)],
    });
    expect(() => concatRequests([])).toThrow(BatchAssemblyError);
    expect(() =>
      concatRequests([x([1, 2], new Float32Array(2)), x([1, 3], new Float32Array(3))]),
    ).toThrow('request 1 does not share the batch key of request 0');
    expect(() =>
      concatRequests([x([1, 2], new Float32Array(2)), x([], new Float32Array(1))]),
    ).toThrow('request 1 is not batchable');
    expect(() =>
      concatRequests([x([1, 2], new Float32Array(2)), x([1, 2], new Float32Array(3))]),
    ).toThrow('input "x" holds 3 elements, shape [1,2] needs 2');
    expect(() =>
      concatRequests([x([1, 2], new Float32Array(2)), x([1, 2], new Float64Array(2))]),
    ).toThrow('input "x" mixes data kinds across requests');
  });

  it('compares batch keys as batchKey does, field by field or by key', () => {
    const one = (name: string, datatype: 'FP32' | 'INT32', shape: number[], extra = {}) => ({
      inputs: [
        tensor(
          datatype,
          shape,
          datatype === 'FP32' ? new Float32Array(2) : new Int32Array(2),
          name,
        ),
      ],
      ...extra,
    });
    const refused = 'request 1 does not share the batch key of request 0';
    // One input, nothing else: name, datatype and the dims after the first.
    expect(() => concatRequests([one('x', 'FP32', [1, 2]), one('y', 'FP32', [1, 2])])).toThrow(
      refused,
    );
    expect(() => concatRequests([one('x', 'FP32', [1, 2]), one('x', 'INT32', [1, 2])])).toThrow(
      refused,
    );
    expect(() => concatRequests([one('x', 'FP32', [1, 2]), one('x', 'FP32', [1, 2, 1])])).toThrow(
      refused,
    );
    expect(
      concatRequests([one('x', 'FP32', [1, 2]), one('x', 'FP32', [1, 2])]).inputs[0]!.shape,
    ).toEqual([2, 2]);
    // With parameters or outputs on one side: by key, so an encoding parameter does not
    // split a batch, and a requested output does.
    const binary = { parameters: { binary_data_output: true } };
    expect(batchKey(one('x', 'FP32', [1, 2], binary))).toBe(batchKey(one('x', 'FP32', [1, 2])));
    expect(
      concatRequests([one('x', 'FP32', [1, 2]), one('x', 'FP32', [1, 2], binary)]).inputs[0]!.shape,
    ).toEqual([2, 2]);
    expect(() =>
      concatRequests([
        one('x', 'FP32', [1, 2]),
        one('x', 'FP32', [1, 2], { outputs: [{ name: 'y' }] }),
      ]),
    ).toThrow(refused);
    expect(() =>
      concatRequests([
        one('x', 'FP32', [1, 2], { parameters: { k: 1 } }),
        one('x', 'FP32', [1, 2]),
      ]),
    ).toThrow(refused);
  });

  it('refuses an output whose dim 0 is not the summed rows, with a clear error', () => {
    const result = { outputs: [tensor('FP32', [3, 2], new Float32Array(6), 'y')] };
    expect(() => splitResult(result, [1, 3])).toThrow(
      new BatchAssemblyError('output "y" has dim 0 = 3, expected 4 (the summed rows of the batch)'),
    );
    expect(() =>
      splitResult({ outputs: [tensor('FP32', [], new Float32Array(1), 'y')] }, [1, 1]),
    ).toThrow('output "y" is a scalar, expected 2');
    expect(() =>
      splitResult({ outputs: [tensor('FP32', [2, 2], new Float32Array(3), 'y')] }, [1, 1]),
    ).toThrow('output "y" holds 3 elements, shape [2,2] needs 4');
  });
});

describe('createOipRun with AdaptiveBatcher', () => {
  it('runs compatible requests as one model call and answers each with its own rows', async () => {
    const predict = vi.fn(async (request: BatchRequest) => ({
      outputs: [
        {
          name: 'y',
          datatype: 'FP32',
          shape: [request.inputs[0]!.shape[0]!, 1],
          data: Float32Array.from(request.inputs[0]!.data as Float32Array, (v) => v * 2),
        },
      ],
    }));
    const batcher = new AdaptiveBatcher({
      run: createOipRun(predict),
      key: batchKey,
      rows: (r: BatchRequest) => requestRows(r) ?? 1,
      maxBatchSize: 8,
    });
    const x = (values: number[]) => ({
      inputs: [tensor('FP32', [values.length, 1], Float32Array.from(values))],
    });
    const first = batcher.submit(x([1]));
    await Promise.resolve();
    const results = await Promise.all([first, batcher.submit(x([2, 3])), batcher.submit(x([4]))]);
    expect(predict).toHaveBeenCalledTimes(2); // [1] alone, then [2, 3] + [4] together
    expect(results.map((r) => Array.from(r.outputs[0]!.data as Float32Array))).toEqual([
      [2],
      [4, 6],
      [8],
    ]);
  });

  it("hands predict the batch's started(), for one request and for an assembled batch", async () => {
    const run = createOipRun(
      async (request: BatchRequest, _signal: AbortSignal, _assembled: boolean, started) => {
        started?.();
        return { outputs: [{ ...request.inputs[0]!, name: 'y' }] };
      },
    );
    const x = (v: number) => ({ inputs: [tensor('FP32', [1, 1], Float32Array.of(v))] });
    for (const requests of [[x(1)], [x(1), x(2)]]) {
      const started = vi.fn();
      await run(requests, new AbortController().signal, undefined, started);
      expect(started).toHaveBeenCalledTimes(1);
    }
  });

  it('tells predict a request as submitted from one assembled from several', async () => {
    const seen: { request: BatchRequest; assembled: boolean }[] = [];
    const identity = async (request: BatchRequest, _signal: AbortSignal, assembled: boolean) => {
      seen.push({ request, assembled });
      return { outputs: [{ ...request.inputs[0]!, name: 'y' }] };
    };
    const batcher = new AdaptiveBatcher({
      run: createOipRun(identity),
      key: batchKey,
      rows: (r: BatchRequest) => requestRows(r) ?? 1,
      maxBatchSize: 8,
    });
    const x = (value: number) => ({ inputs: [tensor('FP32', [1, 1], Float32Array.of(value))] });
    const alone = x(1);
    await batcher.submit(alone);
    const together = [x(2), x(3)];
    await Promise.all(together.map((request) => batcher.submit(request)));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual({ request: alone, assembled: false });
    expect(seen[0]!.request).toBe(alone);
    expect(seen[1]!.assembled).toBe(true);
    expect(together).not.toContain(seen[1]!.request);
  });

  it('takes a result given at once (a synchronous predict) as well as a promise', async () => {
    const run = createOipRun((request: BatchRequest) => ({
      outputs: [{ ...request.inputs[0]!, name: 'y' }],
    }));
    const x = (v: number) => ({ inputs: [tensor('FP32', [1, 1], Float32Array.of(v))] });
    const signal = new AbortController().signal;
    const [one] = (await run([x(1)], signal)) as BatchResult[];
    expect(Array.from(one!.outputs[0]!.data as Float32Array)).toEqual([1]);
    const several = (await run([x(2), x(3)], signal)) as BatchResult[];
    expect(several.map((r) => Array.from(r.outputs[0]!.data as Float32Array))).toEqual([[2], [3]]);
  });

  it('failure() types what predict threw or rejected with, before isolate sees it', async () => {
    class Typed extends Error {
      constructor(override readonly cause: unknown) {
        super('typed');
      }
    }
    const x = (v: number) => ({ inputs: [tensor('FP32', [1, 1], Float32Array.of(v))] });
    const signal = new AbortController().signal;
    const failure = vi.fn((cause: unknown) => new Typed(cause));
    const raw = new Error('raw');
    // Rejected, thrown synchronously, for one request and for an assembled batch.
    for (const predict of [
      async (): Promise<BatchResult> => {
        throw raw;
      },
      (): BatchResult => {
        throw raw;
      },
    ]) {
      for (const requests of [[x(1)], [x(1), x(2)]]) {
        const error = await createOipRun(predict, { failure })(requests, signal).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(Typed);
        expect((error as Typed).cause).toBe(raw);
      }
    }
    // isolate decides on the typed error; each re-run's failure is typed too.
    const isolate = vi.fn((error: unknown) => error instanceof Typed);
    const results = await createOipRun(
      async (request: BatchRequest) => {
        if ((request.inputs[0]!.data as Float32Array)[0] === 2) throw raw;
        if (request.inputs[0]!.shape[0] !== 1) throw raw;
        return { outputs: [{ ...request.inputs[0]!, name: 'y' }] };
      },
      { failure, isolate },
    )([x(1), x(2)], signal);
    expect(isolate).toHaveBeenCalledWith(expect.any(Typed));
    expect(results[0]).not.toBeInstanceOf(BatchItemFailure);
    expect(results[1]).toBeInstanceOf(BatchItemFailure);
    expect((results[1] as BatchItemFailure).error).toBeInstanceOf(Typed);
  });

  describe('isolate', () => {
    class BadInput extends Error {}
    const doubleUnlessNegative = vi.fn(async (request: BatchRequest) => {
      const data = request.inputs[0]!.data as Float32Array;
      if (data.some((v) => v < 0)) throw new BadInput('negative input');
      return {
        outputs: [
          {
            name: 'y',
            datatype: 'FP32',
            shape: [data.length, 1],
            data: data.map((v) => v * 2),
          },
        ],
      };
    });
    const x = (values: number[]) => ({
      inputs: [tensor('FP32', [values.length, 1], Float32Array.from(values))],
    });
    const batcherWith = (isolate?: (error: unknown) => boolean) =>
      new AdaptiveBatcher({
        run: createOipRun(doubleUnlessNegative, isolate ? { isolate } : {}),
        key: batchKey,
        rows: (r: BatchRequest) => requestRows(r) ?? 1,
        maxBatchSize: 8,
      });

    it('re-runs a failed batch request by request, so only the request at fault fails', async () => {
      doubleUnlessNegative.mockClear();
      const batcher = batcherWith((error) => error instanceof BadInput);
      const results = await Promise.allSettled([
        batcher.submit(x([1])),
        batcher.submit(x([-1])),
        batcher.submit(x([3])),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(results[1]).toMatchObject({ reason: expect.any(BadInput) });
      const values = results.map((r) =>
        r.status === 'fulfilled' ? Array.from(r.value.outputs[0]!.data as Float32Array) : null,
      );
      expect(values).toEqual([[2], null, [6]]);
      expect(doubleUnlessNegative).toHaveBeenCalledTimes(4); // the batch, then each alone
      // The assembled batch, then each request as it was submitted.
      expect(doubleUnlessNegative.mock.calls.map((call) => (call as unknown[])[2])).toEqual([
        true,
        false,
        false,
        false,
      ]);
    });

    it('re-runs one request at a time (a model served one batch at a time stays so)', async () => {
      let running = 0;
      let most = 0;
      const batcher = new AdaptiveBatcher({
        run: createOipRun(
          async (request: BatchRequest) => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 2));
            running -= 1;
            return doubleUnlessNegative(request);
          },
          { isolate: (error) => error instanceof BadInput },
        ),
        key: batchKey,
        rows: (r: BatchRequest) => requestRows(r) ?? 1,
        maxBatchSize: 8,
      });
      const results = await Promise.allSettled([
        batcher.submit(x([1])),
        batcher.submit(x([-1])),
        batcher.submit(x([3])),
        batcher.submit(x([4])),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect(most).toBe(1);
    });

    it('does not re-run a request that was aborted while its batch ran', async () => {
      let openGate: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        openGate = resolve;
      });
      const seen: number[][] = [];
      const batcher = new AdaptiveBatcher({
        run: createOipRun(
          async (request: BatchRequest, _signal: AbortSignal, assembled: boolean) => {
            seen.push(Array.from(request.inputs[0]!.data as Float32Array));
            if (assembled) await gate;
            return doubleUnlessNegative(request);
          },
          { isolate: (error) => error instanceof BadInput },
        ),
        key: batchKey,
        rows: (r: BatchRequest) => requestRows(r) ?? 1,
        maxBatchSize: 8,
        concurrency: 1,
      });
      const gone = new AbortController();
      // Submitted in one tick: one batch of four.
      const results = Promise.allSettled([
        batcher.submit(x([0])),
        batcher.submit(x([1]), { signal: gone.signal }),
        batcher.submit(x([-1])),
        batcher.submit(x([3])),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 5)); // the batch is running
      gone.abort();
      openGate();
      const settled = await results;
      expect(settled.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
      ]);
      // The batch, then each request alone but the aborted one.
      expect(seen).toEqual([[0, 1, -1, 3], [0], [-1], [3]]);
    });

    it('fails the whole batch when the error is not isolated', async () => {
      const batcher = batcherWith((error) => !(error instanceof BadInput));
      const results = await Promise.allSettled([batcher.submit(x([1])), batcher.submit(x([-1]))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    });

    it('fails the whole batch without the option', async () => {
      const batcher = batcherWith();
      const results = await Promise.allSettled([batcher.submit(x([1])), batcher.submit(x([-1]))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    });
  });
});
