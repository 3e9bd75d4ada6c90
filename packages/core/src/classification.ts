/**
 * The classification extension, as Triton defines it (`docs/protocol/extension_classification.md`
 * in triton-inference-server/server) and tritonclient asks for it
 * (`InferRequestedOutput(name, class_count=k)`): a requested output with
 * `parameters: { classification: k }` comes back as a BYTES tensor of the k highest values,
 * each `"<value>:<index>"`, highest first. A batched output (the model batches along its
 * first dimension: `batchable: true`, or not declared and the output's metadata shape is
 * `[-1, ...]` with rank >= 2) is classified row by row, shape `[rows, k]`; any other output
 * as a whole, shape `[k]`. `k` is capped at the number of values classified.
 *
 * Protocol logic of every transport: REST and gRPC both reach it through `ServedModel`.
 *
 * @internal
 */
import {
  bfloat16sToFloat32,
  DATATYPES,
  type Datatype,
  halvesToFloat32,
  type InferenceRequest,
  type Tensor,
} from '@infer/codecs';
import { BadRequestError, OutputEncodingError } from './errors';
import type { ModelMetadataV1 } from './spec';

/** The requested-output parameter of the extension. */
export const CLASSIFICATION = 'classification';

/** Datatypes whose values can be ranked: every one but BOOL and BYTES. */
const RANKED = new Set<Datatype>(
  DATATYPES.filter((datatype) => datatype !== 'BOOL' && datatype !== 'BYTES'),
);

/** Above this count, rank by sorting every index instead of keeping a short list. */
const SHORT_LIST = 64;

const encoder = new TextEncoder();

/**
 * Checks the `classification` parameters of `request.outputs` against `metadata` before the
 * model runs: a positive integer (a decimal string too, as gRPC's int64 may arrive) on an
 * output that exists and holds numbers. Returns whether any output asks for it.
 * Throws `BadRequestError` (400) naming the output.
 *
 * @example
 * checkClassifications({ inputs, outputs: [{ name: 'probs', parameters: { classification: 5 } }] }, metadata); // true
 */
export function checkClassifications(
  request: InferenceRequest,
  metadata: ModelMetadataV1,
): boolean {
  let asked = false;
  for (const wanted of request.outputs ?? []) {
    if (wanted.parameters?.[CLASSIFICATION] === undefined) continue;
    classCount(wanted.parameters[CLASSIFICATION], wanted.name);
    const output = metadata.outputs.find((candidate) => candidate.name === wanted.name);
    // An unknown output is the model's OutputNotFoundError later, with its usual message.
    if (output !== undefined && !RANKED.has(output.datatype as Datatype)) {
      throw new BadRequestError(
        `output "${wanted.name}" is ${output.datatype}: classification ranks numbers only`,
      );
    }
    asked = true;
  }
  return asked;
}

/** The class count of a `classification` parameter value. */
function classCount(value: unknown, output: string): number {
  const count = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    throw new BadRequestError(
      `outputs "${output}": parameters.classification must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return count;
}

/** Whom a malformed output is blamed on: the model (500), not the client. */
export interface ClassifyContext {
  model: string;
  version?: string | undefined;
  /** The first dimension is the batch: classified row by row. */
  batched: boolean;
}

/**
 * The classification of `output` for a requested count: a BYTES tensor of
 * `"<value>:<index>"` strings, highest value first (NaN last, ties by index). Runs after the
 * model: an output whose datatype cannot be ranked or whose data does not fill its shape is
 * the model's fault, `OutputEncodingError` (500).
 *
 * @example
 * classify({ name: 'p', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1.5, 3.5, 0.5, 2.5]) }, 2, { model: 'm', batched: true });
 * // { name: 'p', datatype: 'BYTES', shape: [1, 2], data: ['3.5:1', '2.5:3'] as UTF-8 bytes }
 */
export function classify(output: Tensor, requested: unknown, context: ClassifyContext): Tensor {
  const fault = (reason: string) =>
    new OutputEncodingError({
      model: context.model,
      version: context.version,
      output: output.name,
      reason,
    });
  if (!RANKED.has(output.datatype)) {
    throw fault(`it is ${output.datatype}, and classification ranks numbers only`);
  }
  const count = classCount(requested, output.name);
  const values = rankable(output);
  const byRow = context.batched && output.shape.length >= 2;
  const rows = byRow ? output.shape[0]! : 1;
  const rowSize = (byRow ? output.shape.slice(1) : output.shape).reduce((a, b) => a * b, 1);
  if (rows * rowSize !== values.length) {
    throw fault(`shape [${output.shape.join(',')}] does not hold its ${values.length} values`);
  }
  const k = Math.min(count, rowSize);
  const data: Uint8Array[] = [];
  for (let row = 0; row < rows; row++) {
    const start = row * rowSize;
    for (const index of topIndices(values, start, rowSize, k)) {
      data.push(encoder.encode(`${String(values[start + index])}:${index}`));
    }
  }
  return { name: output.name, datatype: 'BYTES', shape: byRow ? [rows, k] : [k], data };
}

/**
 * Whether output `name` is batched: the model says it batches (`batchable: true`), or says
 * nothing and the output's metadata shape is `[-1, ...]` (rank >= 2).
 */
export function isBatchedOutput(
  batchable: boolean | undefined,
  metadata: ModelMetadataV1 | undefined,
  name: string,
): boolean {
  if (batchable !== undefined) return batchable;
  const shape = metadata?.outputs.find((output) => output.name === name)?.shape;
  return shape !== undefined && shape.length >= 2 && shape[0] === -1;
}

type Ranked = ArrayLike<number> | ArrayLike<bigint>;

/** The output's values as numbers (halves and bfloat16 widened) or bigints (64-bit ints). */
function rankable(output: Tensor): Ranked {
  if (output.datatype === 'FP16') return halvesToFloat32(output.data as Uint16Array);
  if (output.datatype === 'BF16') return bfloat16sToFloat32(output.data as Uint16Array);
  return output.data as Ranked;
}

/** `a` ranks before `b`: higher first, NaN last, the lower index on a tie. */
function before(values: Ranked, a: number, b: number): boolean {
  const x = values[a]!;
  const y = values[b]!;
  if (Number.isNaN(x)) return false;
  if (Number.isNaN(y)) return true;
  return x > y || (x === y && a < b);
}

/** The indices (relative to `start`) of the `k` highest of `size` values from `start`. */
function topIndices(values: Ranked, start: number, size: number, k: number): number[] {
  if (k === 0) return [];
  if (k > SHORT_LIST) {
    const order = Array.from({ length: size }, (_, i) => start + i);
    order.sort((a, b) => (before(values, a, b) ? -1 : before(values, b, a) ? 1 : 0));
    return order.slice(0, k).map((index) => index - start);
  }
  // A short list kept in rank order: one comparison for most values.
  const top: number[] = [];
  for (let i = start; i < start + size; i++) {
    if (top.length === k && !before(values, i, top[k - 1]!)) continue;
    let at = top.length === k ? k - 1 : top.length;
    if (top.length < k) top.push(i);
    while (at > 0 && before(values, i, top[at - 1]!)) {
      top[at] = top[at - 1]!;
      at--;
    }
    top[at] = i;
  }
  return top.map((index) => index - start);
}
