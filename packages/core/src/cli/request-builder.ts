import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { decodeImage } from '@infer/codecs';
import type { ModelMetadataV1, TensorMetadata } from '../spec';
import { CliError } from './cli-error';

/** JSON of one OIP request input. */
export interface RequestInputJSON {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown[];
  parameters?: Record<string, unknown>;
}

/** How image files become tensors. */
export type ImagePreprocess = 'imagenet' | 'unit' | 'raw';

/**
 * The `--preprocess` flag of `infer predict` and `infer bench`: `imagenet` when absent, a
 * usage error (exit 2) for a value that is none of the three.
 *
 * @example
 * preprocessFlag(undefined); // 'imagenet'
 */
export function preprocessFlag(value: string | undefined): ImagePreprocess {
  if (value === undefined) return 'imagenet';
  if (value === 'imagenet' || value === 'unit' || value === 'raw') return value;
  throw new CliError(`--preprocess must be imagenet, unit or raw (got "${value}")`, 2);
}

const IMAGE_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.avif',
  '.tif',
  '.tiff',
]);
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/**
 * Builds the inputs of an OIP request from `--input name=value` flags and the model's
 * metadata. A value is `@file.png` (decoded to a tensor shaped like the input: NCHW or
 * NHWC, resized; FP32 normalised per `preprocess`; sent as is, base64, to a BYTES input), `@file.json` or a JSON literal (a
 * tensor object or a nested array; datatype from metadata), or plain text (BYTES).
 * Inputs without a flag get zeros (dynamic dims = 1).
 *
 * @internal
 * @example
 * await buildInputs(['input=@finch.jpeg'], metadata, { cwd: process.cwd() });
 */
export async function buildInputs(
  flags: readonly string[],
  metadata: Pick<ModelMetadataV1, 'inputs'> | undefined,
  options: { cwd: string; preprocess?: ImagePreprocess },
): Promise<RequestInputJSON[]> {
  const given = new Map<string, string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0)
      throw new CliError(
        `--input must be name=value, name=@file or name=@image.png (got "${flag}")`,
        2,
      );
    given.set(flag.slice(0, eq), flag.slice(eq + 1));
  }
  const known = metadata?.inputs ?? [];
  for (const name of given.keys()) {
    if (known.length > 0 && !known.some((input) => input.name === name)) {
      throw new CliError(
        `the model has no input "${name}"; its inputs: ${known.map((input) => input.name).join(', ')}`,
        2,
      );
    }
  }
  const inputs: RequestInputJSON[] = [];
  const names = known.length > 0 ? known.map((input) => input.name) : [...given.keys()];
  for (const name of names) {
    const meta = known.find((input) => input.name === name);
    const value = given.get(name);
    inputs.push(
      value === undefined
        ? zerosInput(meta!)
        : await inputFrom(name, value, meta, options.cwd, options.preprocess ?? 'imagenet'),
    );
  }
  return inputs;
}

/** An input of zeros shaped like the metadata (dynamic dims = 1). */
export function zerosInput(meta: TensorMetadata): RequestInputJSON {
  const shape = meta.shape.map((dim) => (dim < 0 ? 1 : dim));
  const count = shape.reduce((product, dim) => product * dim, 1);
  const zero = meta.datatype === 'BYTES' ? '' : meta.datatype === 'BOOL' ? false : 0;
  return { name: meta.name, datatype: meta.datatype, shape, data: new Array(count).fill(zero) };
}

async function inputFrom(
  name: string,
  value: string,
  meta: TensorMetadata | undefined,
  cwd: string,
  preprocess: ImagePreprocess,
): Promise<RequestInputJSON> {
  if (value.startsWith('@')) {
    const file = resolve(cwd, value.slice(1));
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (error) {
      throw new CliError(`--input ${name}: cannot read ${file}: ${(error as Error).message}`);
    }
    const extension = extname(file).toLowerCase();
    if (IMAGE_EXTENSIONS.has(extension)) {
      // A model that takes encoded images (BYTES, as the image classifier pipeline): the file
      // itself, as base64 text in JSON.
      if (meta?.datatype === 'BYTES') {
        return {
          name,
          datatype: 'BYTES',
          shape: [1],
          data: [Buffer.from(bytes).toString('base64')],
        };
      }
      return imageInput(name, bytes, meta, preprocess);
    }
    const text = new TextDecoder().decode(bytes);
    if (extension === '.json') return jsonInput(name, parseJson(text, `${name} (${file})`), meta);
    return { name, datatype: 'BYTES', shape: [1], data: [text] };
  }
  const trimmed = value.trim();
  if (/^[[{\d-]/.test(trimmed) || trimmed === 'true' || trimmed === 'false') {
    return jsonInput(name, parseJson(trimmed, name), meta);
  }
  return { name, datatype: 'BYTES', shape: [1], data: [value] };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`--input ${what}: invalid JSON: ${(error as Error).message}`, 2);
  }
}

function jsonInput(
  name: string,
  value: unknown,
  meta: TensorMetadata | undefined,
): RequestInputJSON {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const tensor = value as Partial<RequestInputJSON>;
    if (!Array.isArray(tensor.data))
      throw new CliError(`--input ${name}: a tensor object needs "data"`, 2);
    const data = tensor.data.flat(Number.POSITIVE_INFINITY);
    return {
      name,
      datatype: tensor.datatype ?? meta?.datatype ?? guessDatatype(data),
      shape: tensor.shape ?? shapeOf(tensor.data),
      data,
      ...(tensor.parameters === undefined ? {} : { parameters: tensor.parameters }),
    };
  }
  const array = Array.isArray(value) ? value : [value];
  const data = array.flat(Number.POSITIVE_INFINITY);
  let shape = shapeOf(array);
  // A single example for a model with a batch dim: add it ([3] -> [1, 3]).
  if (meta !== undefined && meta.shape.length === shape.length + 1 && meta.shape[0] === -1) {
    shape = [1, ...shape];
  }
  return { name, datatype: meta?.datatype ?? guessDatatype(data), shape, data };
}

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let node = value;
  while (Array.isArray(node)) {
    shape.push(node.length);
    node = node[0];
  }
  return shape;
}

function guessDatatype(data: unknown[]): string {
  if (data.every((item) => typeof item === 'boolean')) return 'BOOL';
  if (data.every((item) => typeof item === 'number')) return 'FP32';
  return 'BYTES';
}

async function imageInput(
  name: string,
  bytes: Uint8Array,
  meta: TensorMetadata | undefined,
  preprocess: ImagePreprocess,
): Promise<RequestInputJSON> {
  if (meta === undefined || !['FP32', 'UINT8'].includes(meta.datatype)) {
    throw new CliError(
      `--input ${name}: an image needs an FP32 or UINT8 image input in the model metadata` +
        (meta === undefined ? '' : ` (input "${name}" is ${meta.datatype})`),
      2,
    );
  }
  const shape = meta.shape;
  const rank = shape.length;
  if (rank !== 3 && rank !== 4) {
    throw new CliError(
      `--input ${name}: an image needs a rank 3 or 4 input, got [${shape.join(',')}]`,
      2,
    );
  }
  const dims = rank === 4 ? shape.slice(1) : shape;
  const chw = (dims[0] === 1 || dims[0] === 3) && dims[2] !== 3;
  const [channels, height, width] = chw ? dims : [dims[2], dims[0], dims[1]];
  const float = meta.datatype === 'FP32';
  const options = {
    layout: chw ? ('CHW' as const) : ('HWC' as const),
    channels: (channels === 1 ? 1 : 3) as 1 | 3,
    ...(height !== undefined && height > 0 ? { height } : {}),
    ...(width !== undefined && width > 0 ? { width } : {}),
    ...(float
      ? preprocess === 'imagenet'
        ? { dtype: 'float32' as const, scale: 1 / 255, ...IMAGENET }
        : { dtype: 'float32' as const, scale: preprocess === 'unit' ? 1 / 255 : 1 }
      : { dtype: 'uint8' as const }),
  };
  let tensor: Awaited<ReturnType<typeof decodeImage>>;
  try {
    tensor = await decodeImage(bytes, options);
  } catch (error) {
    throw new CliError(`--input ${name}: ${(error as Error).message}`);
  }
  return {
    name,
    datatype: meta.datatype,
    shape: rank === 4 ? [1, ...tensor.shape] : tensor.shape,
    data: Array.from(tensor.data as ArrayLike<number>),
  };
}
