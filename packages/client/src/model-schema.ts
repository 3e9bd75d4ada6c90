import { type Datatype, isDatatype, type ModelMetadataJSON } from '@infer/codecs';
import { fail } from './client-options';

/** One tensor of a {@link ModelSchema}: its datatype and (optionally) its shape, `-1` dynamic. */
export interface TensorSchema {
  readonly datatype: Datatype;
  readonly shape?: readonly number[];
}

/**
 * A model's inputs and outputs by name: what `client.model(name, schema)` checks at compile
 * time. Write it with {@link defineSchema}, or get it from a live server with
 * `client.model(name).schema()`.
 */
export interface ModelSchema {
  readonly inputs: { readonly [name: string]: TensorSchema };
  readonly outputs: { readonly [name: string]: TensorSchema };
}

/** The schema of a model nothing is known about: any input and output name, any datatype. */
export interface AnySchema {
  readonly inputs: { readonly [name: string]: { readonly datatype: Datatype } };
  readonly outputs: { readonly [name: string]: { readonly datatype: Datatype } };
}

/**
 * Declares a model's schema with its literal types kept, so that `client.model(name,
 * schema).infer()` checks input names, input data types and output names at compile time.
 * Checks the datatypes at run time too (throws `INFER_CLIENT_ERR_INVALID_OPTION`).
 *
 * @example
 * const mobilenet = defineSchema({
 *   inputs: { image: { datatype: 'BYTES', shape: [-1] } },
 *   outputs: { label: { datatype: 'BYTES' }, probability: { datatype: 'FP32' } },
 * } as const);
 * const result = await client.model('mobilenet', mobilenet).infer({ image: jpegBytes });
 * result.outputs.probability.data; // Float32Array
 */
export function defineSchema<const S extends ModelSchema>(schema: S): S {
  checkSchema(schema, 'schema');
  return schema;
}

/** @internal Throws `INFER_CLIENT_ERR_INVALID_OPTION` naming `path` when `schema` is malformed. */
export function checkSchema(schema: unknown, path: string): asserts schema is ModelSchema {
  if (typeof schema !== 'object' || schema === null) fail(path, 'must be an object');
  for (const side of ['inputs', 'outputs'] as const) {
    const tensors = (schema as Record<string, unknown>)[side];
    if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors)) {
      fail(`${path}.${side}`, 'must be an object of tensors by name');
    }
    for (const [name, tensor] of Object.entries(tensors as object)) {
      const where = `${path}.${side}.${name}`;
      if (!isDatatype((tensor as Partial<TensorSchema> | undefined)?.datatype)) {
        fail(`${where}.datatype`, 'must be an OIP datatype (FP32, INT64, BYTES, ...)');
      }
      const shape = (tensor as TensorSchema).shape;
      if (
        shape !== undefined &&
        !(Array.isArray(shape) && shape.every((dim) => Number.isInteger(dim) && dim >= -1))
      ) {
        fail(`${where}.shape`, 'must be an array of integers >= -1');
      }
    }
  }
}

/**
 * The schema of a model from its OIP metadata (`GET /v2/models/{name}`): the JSON you could
 * paste into {@link defineSchema}.
 *
 * @example
 * schemaFromMetadata({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [] });
 * // (a whole metadata answer, as `client.model('m').metadata()` gives, works too)
 * // { inputs: { x: { datatype: 'FP32', shape: [-1, 4] } }, outputs: {} }
 */
export function schemaFromMetadata(metadata: Pick<ModelMetadataJSON, 'inputs' | 'outputs'>): {
  inputs: Record<string, { datatype: Datatype; shape: number[] }>;
  outputs: Record<string, { datatype: Datatype; shape: number[] }>;
} {
  const side = (tensors: ModelMetadataJSON['inputs']) =>
    Object.fromEntries(
      tensors.map((tensor) => [tensor.name, { datatype: tensor.datatype, shape: tensor.shape }]),
    );
  return { inputs: side(metadata.inputs), outputs: side(metadata.outputs) };
}

/**
 * TypeScript source that declares `schema` with {@link defineSchema}, ready to save as a
 * file of your app (what `infer describe --ts` prints).
 *
 * @example
 * schemaToTypeScript(await client.model('mobilenet').schema(), 'mobilenetSchema');
 * // "import { defineSchema } from '@infer/client';\n\nexport const mobilenetSchema = defineSchema({ ... } as const);\n"
 */
export function schemaToTypeScript(schema: ModelSchema, constName = 'schema'): string {
  const side = (tensors: ModelSchema['inputs']) => {
    const lines = Object.entries(tensors).map(([name, tensor]) => {
      const shape = tensor.shape === undefined ? '' : `, shape: [${tensor.shape.join(', ')}]`;
      return `    ${propertyKey(name)}: { datatype: '${tensor.datatype}'${shape} },`;
    });
    return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n  }`;
  };
  return [
    "import { defineSchema } from '@infer/client';",
    '',
    `export const ${constName} = defineSchema({`,
    `  inputs: ${side(schema.inputs)},`,
    `  outputs: ${side(schema.outputs)},`,
    '} as const);',
    '',
  ].join('\n');
}

function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}
