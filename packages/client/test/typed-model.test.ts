/**
 * Compile-time checks of typed models: `expectTypeOf` assertions and `@ts-expect-error`
 * lines are verified by `pnpm typecheck` (tsc over packages/*\/test); the runtime calls
 * check that the typed API reaches the real server.
 */
import type { Tensor } from '@infer/codecs';
import type { InferServer } from '@infer/core';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createClient,
  defineSchema,
  type InferClient,
  type ModelClient,
  textOf,
} from '../src/index';
import { startTestServer } from './test-server';

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

let server: InferServer;
let client: InferClient;

beforeAll(async () => {
  server = await startTestServer();
  client = createClient({ baseUrl: server.url });
});
afterAll(() => server.close());

/** Calls that must not compile; never run (the function is never called). */
function compileErrors(model: ModelClient<typeof pairSchema>) {
  // @ts-expect-error unknown input name
  void model.infer({ a: new Float32Array(2), tag: 'x', b: new Float32Array(2) });
  // @ts-expect-error missing input
  void model.infer({ a: new Float32Array(2) });
  // @ts-expect-error Int32Array is not FP32 data
  void model.infer({ a: new Int32Array(2), tag: 'x' });
  // @ts-expect-error a number is not BYTES data
  void model.infer({ a: new Float32Array(2), tag: 5 });
  // @ts-expect-error unknown output name
  void model.infer({ a: new Float32Array(2), tag: 'x' }, { outputs: ['nope'] });
  // @ts-expect-error datatype of a TensorInput must match the schema
  void model.infer({ a: { data: new Float32Array(2), datatype: 'FP64' }, tag: 'x' });
}

describe('typed models', () => {
  it('types inputs, outputs and requested outputs from the schema', async () => {
    const pair = client.model('pair', pairSchema);
    expectTypeOf(pair).toEqualTypeOf<ModelClient<typeof pairSchema>>();
    expectTypeOf(compileErrors).toBeFunction();

    const result = await pair.infer({ a: [1, 2, 3, 4], tag: ['p', 'q'] });
    expectTypeOf(result.outputs.sum).toEqualTypeOf<Tensor<'FP32'>>();
    expectTypeOf(result.outputs.sum.data).toEqualTypeOf<Float32Array>();
    expectTypeOf(result.outputs.label.data).toEqualTypeOf<Uint8Array[]>();
    expectTypeOf(result.outputs.count.data).toEqualTypeOf<BigInt64Array>();
    expect(result.outputs.sum.shape).toEqual([2]);
    expect(Array.from(result.outputs.sum.data)).toEqual([3, 7]);
    expect(textOf(result.outputs.label)).toEqual(['p', 'q']);

    const only = await pair.infer(
      { a: new Float32Array([1, 1]), tag: 'x' },
      { outputs: ['label'] },
    );
    expectTypeOf(only.outputs).toEqualTypeOf<{ label: Tensor<'BYTES'> }>();
    expect(Object.keys(only.outputs)).toEqual(['label']);
  });

  it('fills the schema shape: plain numbers for FP32 [-1, 2] become shape [n, 2]', async () => {
    const seen: string[] = [];
    const spied = createClient({
      baseUrl: server.url,
      fetch: (url, init) => {
        seen.push(new TextDecoder().decode(init.body as Uint8Array));
        return fetch(url, init);
      },
    });
    await spied.model('pair', pairSchema).infer({ a: [1, 2, 3, 4, 5, 6], tag: ['a', 'b', 'c'] });
    expect(JSON.parse(seen[0]!).inputs[0]).toMatchObject({
      name: 'a',
      datatype: 'FP32',
      shape: [3, 2],
    });
  });

  it('leaves untyped models open: any names, outputs possibly undefined', async () => {
    const any = client.model('echo-fp32');
    const result = await any.infer({ x: new Float32Array([1]) });
    expectTypeOf(result.outputs['y']).toEqualTypeOf<Tensor | undefined>();
    expect(result.outputs['y']?.datatype).toBe('FP32');
  });
});
