import type { TensorMetadata } from '@infer/core';
import type * as tf from '@tensorflow/tfjs';
import { dtypeOfTensorflowEnum, oipDatatypeOf, type TfjsDatatype } from './tfjs-datatypes';

/**
 * One input or output as the runtime sees it: its OIP `name`, the `key` TF.js knows it by
 * (signature key, node or layer name), and datatype and shape when the model file says.
 *
 * @internal
 */
export interface TfjsTensorSpec {
  name: string;
  key: string;
  datatype?: TfjsDatatype | undefined;
  /** `-1` marks a dynamic dimension; undefined when even the rank is unknown. */
  shape?: number[] | undefined;
}

/** What a graph model's signature says about one tensor (TF `TensorInfo` as JSON). */
interface SignatureTensor {
  name?: string;
  dtype?: string;
  tensorShape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
}

interface GraphSignature {
  inputs?: Record<string, SignatureTensor>;
  outputs?: Record<string, SignatureTensor>;
}

function shapeOfSignature(tensor: SignatureTensor | undefined): number[] | undefined {
  const shape = tensor?.tensorShape;
  if (shape === undefined || shape.unknownRank) return undefined;
  // A missing size is how proto3 JSON writes 0, which converters never mean: treat as dynamic.
  return (shape.dim ?? []).map((dim) => (dim.size === undefined ? -1 : Number(dim.size)));
}

function shapeOfTfjs(shape: readonly (number | null)[] | undefined): number[] | undefined {
  return shape?.map((dim) => (dim === null || dim < 0 ? -1 : dim));
}

function graphSpecs(
  keys: readonly string[],
  described: readonly { shape?: number[] | undefined; dtype?: string | undefined }[],
  signature: Record<string, SignatureTensor> | undefined,
): TfjsTensorSpec[] {
  return keys.map((key, index) => {
    const fromSignature = signature?.[key];
    const fromGraph = described[index];
    const dtype = dtypeOfTensorflowEnum(fromSignature?.dtype) ?? fromGraph?.dtype;
    return {
      name: key,
      key,
      datatype: oipDatatypeOf(dtype),
      shape: shapeOfSignature(fromSignature) ?? shapeOfTfjs(fromGraph?.shape),
    };
  });
}

/**
 * Inputs and outputs of a graph model: names are the signature keys (what
 * `model.execute` takes), datatype and shape from the signature, else from the graph's
 * placeholder attributes.
 *
 * @internal
 * @example
 * const { inputs, outputs } = graphModelSpecs(await tf.loadGraphModel(handler));
 */
export function graphModelSpecs(model: tf.GraphModel): {
  inputs: TfjsTensorSpec[];
  outputs: TfjsTensorSpec[];
} {
  const signature = model.modelSignature as GraphSignature | undefined;
  return {
    inputs: graphSpecs(model.inputNodes, model.inputs, signature?.inputs),
    outputs: graphSpecs(model.outputNodes, model.outputs, signature?.outputs),
  };
}

/**
 * Inputs and outputs of a layers model: input and output layer names, Keras shapes with
 * `null` dims as `-1`.
 *
 * @internal
 * @example
 * const { inputs } = layersModelSpecs(await tf.loadLayersModel(handler)); // [{ name: 'input_1', shape: [-1, -1, -1, 3], ... }]
 */
export function layersModelSpecs(model: tf.LayersModel): {
  inputs: TfjsTensorSpec[];
  outputs: TfjsTensorSpec[];
} {
  const specs = (names: readonly string[], tensors: readonly tf.SymbolicTensor[]) =>
    tensors.map((tensor, index) => {
      const key = names[index] ?? tensor.name;
      return {
        name: key,
        key,
        datatype: oipDatatypeOf(tensor.dtype),
        shape: shapeOfTfjs(tensor.shape),
      };
    });
  return {
    inputs: specs(model.inputNames, model.inputs),
    outputs: specs(model.outputNames, model.outputs),
  };
}

/**
 * Applies user overrides: `signature` entries (matched by the model's own names) replace
 * datatype and shape; `inputNames` / `outputNames` rename in model order.
 *
 * @internal
 * @example
 * applyOverrides(specs, undefined, ['image']);
 */
export function applyOverrides(
  specs: TfjsTensorSpec[],
  overrides: readonly TensorMetadata[] | undefined,
  names: readonly string[] | undefined,
): TfjsTensorSpec[] {
  return specs.map((spec, index) => {
    const override = overrides?.find((entry) => entry.name === spec.key);
    return {
      ...spec,
      ...(override && { datatype: override.datatype as TfjsDatatype, shape: [...override.shape] }),
      name: names?.[index] ?? spec.name,
    };
  });
}
