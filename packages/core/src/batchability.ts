import type { ModelMetadataV1, ModelV1, TensorMetadata } from './spec';

/** Whether a model's requests may be concatenated along dim 0, and why not. */
export interface Batchability {
  batchable: boolean;
  /** Why not, e.g. `input "x" has a fixed first dim (3)`; absent when batchable. */
  reason?: string;
}

function tensorReason(kind: string, tensor: TensorMetadata): string | undefined {
  if (tensor.shape.length === 0) return `${kind} "${tensor.name}" is a scalar`;
  if (tensor.shape[0] !== -1) {
    return `${kind} "${tensor.name}" has a fixed first dim (${tensor.shape[0]})`;
  }
  return undefined;
}

/**
 * Decides batchability: the model's own `batchable` flag when set, else from metadata: not
 * when its `parameters` say `batchable: false` (a runtime that knows, e.g. from named dims,
 * with `batching_disabled_reason`), else only when every input and output has rank >= 1 and
 * a dynamic (`-1`) first dim.
 *
 * @example
 * batchabilityOf(model, model.metadata()); // { batchable: false, reason: 'input "x" is a scalar' }
 */
export function batchabilityOf(
  model: Pick<ModelV1, 'batchable'>,
  metadata: Pick<ModelMetadataV1, 'inputs' | 'outputs' | 'parameters'>,
): Batchability {
  if (model.batchable === true) return { batchable: true };
  if (model.batchable === false) return { batchable: false, reason: 'the model is not batchable' };
  if (metadata.parameters?.batchable === false) {
    const reason = metadata.parameters.batching_disabled_reason;
    return {
      batchable: false,
      reason: typeof reason === 'string' ? reason : 'its runtime says the model is not batchable',
    };
  }
  if (metadata.inputs.length === 0) return { batchable: false, reason: 'the model has no inputs' };
  for (const input of metadata.inputs) {
    const reason = tensorReason('input', input);
    if (reason) return { batchable: false, reason };
  }
  for (const output of metadata.outputs) {
    const reason = tensorReason('output', output);
    if (reason) return { batchable: false, reason };
  }
  return { batchable: true };
}
