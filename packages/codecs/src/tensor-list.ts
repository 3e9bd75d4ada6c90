import { describeValue } from './describe-value';
import { CodecError } from './errors';
import { tensorDataFromBytes } from './tensor-bytes';
import { decodeTensorJson } from './tensor-codec';
import { makeTensor, readTensorHeader } from './tensor-header';
import type { Tensor } from './types';

/**
 * Decodes the `inputs` (or `outputs`) array of a body: JSON data, or slices of the binary
 * part in order for tensors with `binary_data_size`. Every size is checked against what is
 * left of the body, and the binary part must be used up exactly.
 *
 * @internal
 */
export function decodeTensorList(
  value: unknown,
  path: 'inputs' | 'outputs',
  binary: Uint8Array | undefined,
): Tensor[] {
  if (!Array.isArray(value)) {
    throw new CodecError(
      value === undefined
        ? `${path} is missing`
        : `${path} must be an array, got ${describeValue(value)}`,
    );
  }
  // A few tensors (the usual case) are checked for repeated names without a Set.
  const names = value.length > 8 ? new Set<string>() : undefined;
  const tensors = new Array<Tensor>(value.length);
  let offset = 0;
  for (let i = 0; i < value.length; i++) {
    const header = readTensorHeader(value[i], path, i);
    if (names === undefined ? nameBefore(tensors, i, header.name) : names.has(header.name)) {
      throw new CodecError(`${path}[${i}]: duplicate name ${JSON.stringify(header.name)}`, {
        input: header.name,
      });
    }
    names?.add(header.name);
    const size = header.binarySize;
    if (size === undefined) {
      tensors[i] = decodeTensorJson(header);
      continue;
    }
    if (binary === undefined) {
      throw new CodecError(
        `${header.context.where}: parameters.binary_data_size is set but the body has no binary part (no Inference-Header-Content-Length)`,
        { input: header.name },
      );
    }
    if (size > binary.byteLength - offset) {
      throw new CodecError(
        `${header.context.where}: binary_data_size ${size} runs past the end of the body (${binary.byteLength - offset} binary bytes left at offset ${offset})`,
        { input: header.name },
      );
    }
    const bytes = binary.subarray(offset, offset + size);
    offset += size;
    tensors[i] = makeTensor(
      header,
      tensorDataFromBytes(
        header.datatype,
        bytes,
        header.count,
        header.context,
        'parameters.binary_data_size',
      ),
    );
  }
  if (binary !== undefined && offset !== binary.byteLength) {
    throw new CodecError(
      `the body has ${binary.byteLength - offset} bytes after the last binary tensor (binary_data_size values add up to ${offset} of ${binary.byteLength})`,
    );
  }
  return tensors;
}

/** Whether one of `tensors[0..end)` is named `name`. */
function nameBefore(tensors: readonly Tensor[], end: number, name: string): boolean {
  for (let i = 0; i < end; i++) if (tensors[i]!.name === name) return true;
  return false;
}
