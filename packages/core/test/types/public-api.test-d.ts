/**
 * Compile-time checks of the public types (run by `pnpm typecheck`, which includes this
 * file): each `@ts-expect-error` line must stay an error, each `expectTypeOf` must hold.
 */
import type { Tensor } from '@infer/codecs';
import {
  defineModel,
  type InferError,
  InvalidInputError,
  loadModel,
  Model,
  type ModelV1,
  type PredictResult,
  type RuntimePluginV1,
  type ServedModel,
  serve,
} from '@infer/core';
import type { ModelV1 as SpecModelV1 } from '@infer/core/spec';
import { expectTypeOf } from 'vitest';

// defineModel: `state` is what load() returned; predict may return tensors or { outputs }.
const model = defineModel({
  name: 'doubler',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 3] }],
  load: () => ({ factor: 2 }),
  predict: (request, { state, signal }) => {
    expectTypeOf(state).toEqualTypeOf<{ factor: number }>();
    expectTypeOf(signal).toEqualTypeOf<AbortSignal | undefined>();
    const x = request.input('x');
    return [{ name: 'y', datatype: 'FP32', shape: x.shape, data: x.typed('FP32') }];
  },
});
expectTypeOf(model).toMatchTypeOf<ModelV1>();
expectTypeOf(model.specificationVersion).toEqualTypeOf<'v1'>();

defineModel({
  name: 'bad',
  // @ts-expect-error: datatype must be an OIP datatype
  inputs: [{ name: 'x', datatype: 'FLOAT', shape: [1] }],
  outputs: [],
  predict: () => [],
});

// Tensors tie the datatype to its typed array.
const ok: Tensor<'INT64'> = {
  name: 'i',
  datatype: 'INT64',
  shape: [1],
  data: new BigInt64Array(1),
};
const wrong: Tensor<'INT64'> = {
  name: 'i',
  datatype: 'INT64',
  shape: [1],
  // @ts-expect-error: INT64 data is a BigInt64Array, not an Int32Array
  data: new Int32Array(1),
};
void ok;
void wrong;

// The spec subpath and the main entry export the same contract.
expectTypeOf<SpecModelV1>().toEqualTypeOf<ModelV1>();

// A runtime plugin returns a model (or a promise of one) from settings.
const plugin = {
  specificationVersion: 'v1',
  name: 'infer-runtime-test',
  create: (settings) => {
    expectTypeOf(settings.name).toEqualTypeOf<string>();
    return model;
  },
} satisfies RuntimePluginV1;
void plugin;

// Subclassing Model: doPredict is required.
class Identity extends Model {
  metadata() {
    return { name: this.name, platform: 'test', inputs: [], outputs: [] };
  }
  protected doPredict(): PredictResult {
    return { outputs: [] };
  }
}
// @ts-expect-error: Model is abstract
new Model({ name: 'x' });
void Identity;

// In-process path and server handle.
expectTypeOf(loadModel(model)).resolves.toEqualTypeOf<ServedModel>();
expectTypeOf<Parameters<typeof serve>[0]>().toMatchTypeOf<
  { models?: readonly ModelV1[] } | undefined
>();
expectTypeOf(serve({ models: [model] })).resolves.toHaveProperty('close');

// Errors carry a code.
expectTypeOf(new InvalidInputError('x')).toMatchTypeOf<InferError>();
expectTypeOf(new InvalidInputError('x').code).toBeString();
