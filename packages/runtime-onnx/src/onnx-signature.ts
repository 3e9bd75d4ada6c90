import type { TensorMetadata } from '@infer/core';
import type { InferenceSession } from 'onnxruntime-node';
import { datatypeOfOrtType } from './onnx-tensor';

/** The inputs and outputs of a loaded session, as OIP tensor metadata. */
export interface OnnxSignature {
  readonly inputs: readonly TensorMetadata[];
  /**
   * Why requests cannot be concatenated along dim 0 although every first dim is dynamic: an
   * output's first dim has another name than the inputs' (`NonZero`'s count, detections
   * after NMS). `undefined` when the names say nothing against it.
   */
  readonly notBatchable?: string | undefined;
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
  const notBatchable = firstDimMismatch(session.inputMetadata, session.outputMetadata);
  return { inputs, outputs, skippedOutputs, ...(notBatchable ? { notBatchable } : {}) };
}

/**
 * Names exporters make up for a dynamic dim they know nothing about (tf2onnx `unk__12`,
 * paddle2onnx `p2o.DynamicDimension.3`, torch `s0`, `*_dynamic_axes_1` and, for outputs
 * whose axes were not named, `Reluoutput_dim_0`): two of them differing says nothing about
 * whether the dims are the same.
 */
const MADE_UP_DIM =
  /^(?:unk__\d+|p2o\.DynamicDimension\.\d+|s\d+|.*_dynamic_axes_\d+|.*output_dim_\d+)$/;

/** A first dim's own name (a symbolic dim an exporter was given), else `undefined`. */
function namedFirstDim(value: ValueMetadata): string | undefined {
  if (!value.isTensor) return undefined;
  const first = value.shape[0];
  return typeof first === 'string' && first !== '' && !MADE_UP_DIM.test(first) ? first : undefined;
}

/**
 * Why the model is not batchable by its dim names: every input's first dim has one given
 * name (`batch`), and an output's first dim has another (`num_detections`, `k`): that
 * output's rows are not the requests' rows, so a batch's answer cannot be split back.
 */
function firstDimMismatch(
  inputs: readonly ValueMetadata[],
  outputs: readonly ValueMetadata[],
): string | undefined {
  const names = new Set(inputs.map(namedFirstDim));
  if (names.size !== 1) return undefined;
  const [batch] = names;
  if (batch === undefined) return undefined;
  for (const output of outputs) {
    const name = namedFirstDim(output);
    if (name !== undefined && name !== batch) {
      return `output "${output.name}" has first dim "${name}", not the inputs' "${batch}"`;
    }
  }
  return undefined;
}
