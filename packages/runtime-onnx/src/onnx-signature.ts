import type { TensorMetadata } from '@infer/core';
import type { InferenceSession } from 'onnxruntime-node';
import { datatypeOfOrtType } from './onnx-tensor';

/** The inputs and outputs of a loaded session, as OIP tensor metadata. */
export interface OnnxSignature {
  readonly inputs: readonly TensorMetadata[];
  /** Tensor outputs; non-tensor outputs (sequence, map: e.g. scikit-learn's ZipMap) are left out. */
  readonly outputs: readonly TensorMetadata[];
  /** Names of outputs left out because they are not tensors OIP can carry. */
  readonly skippedOutputs: readonly string[];
}

/** ORT metadata as onnxruntime-common 1.30 types it (`shape` mixes numbers and names). */
type ValueMetadata = InferenceSession.ValueMetadata;

function toTensorMetadata(value: ValueMetadata, role: 'input' | 'output'): TensorMetadata | string {
  if (!value.isTensor) return `${role} "${value.name}" is not a tensor (sequence or map)`;
  const datatype = datatypeOfOrtType(value.type);
  if (datatype === undefined) {
    return `${role} "${value.name}" has ONNX type ${value.type}, which OIP has no datatype for`;
  }
  // A symbolic name ("batch_size") or an unnamed dynamic dim ("") is -1 in OIP metadata.
  const shape = value.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1));
  return { name: value.name, datatype, shape };
}

/**
 * Reads names, datatypes and shapes from a session (`inputMetadata`/`outputMetadata` of
 * onnxruntime-node >= 1.22). Throws when an input cannot be fed over OIP.
 *
 * @internal
 * @example
 * const signature = readSignature(session); // { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 224, 224] }], ... }
 */
export function readSignature(session: InferenceSession): OnnxSignature {
  if (!Array.isArray(session.inputMetadata) || !Array.isArray(session.outputMetadata)) {
    throw new Error('onnxruntime-node >= 1.22 is required (InferenceSession.inputMetadata)');
  }
  const inputs: TensorMetadata[] = [];
  for (const value of session.inputMetadata) {
    const meta = toTensorMetadata(value, 'input');
    if (typeof meta === 'string') throw new Error(meta);
    inputs.push(meta);
  }
  const outputs: TensorMetadata[] = [];
  const skippedOutputs: string[] = [];
  for (const value of session.outputMetadata) {
    const meta = toTensorMetadata(value, 'output');
    if (typeof meta === 'string') skippedOutputs.push(value.name);
    else outputs.push(meta);
  }
  if (outputs.length === 0) throw new Error('the model has no tensor output OIP can carry');
  return { inputs, outputs, skippedOutputs };
}
