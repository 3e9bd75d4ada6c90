/**
 * Prepares tensors to cross a thread boundary without a structured-clone copy: each typed
 * array ends up on a buffer of its own, listed in the transfer list.
 *
 * - A typed array that owns its whole `ArrayBuffer` (offset 0, same length) is moved: zero
 *   copies, and the sender's array is detached (length 0) afterwards.
 * - A view over a larger buffer (a slice of a request body, Node's pooled `Buffer`s) is
 *   copied into a fresh buffer of its own length first: one copy of its own bytes, where
 *   structured clone would copy the whole underlying buffer (twice: serialise + deserialise).
 * - `move: false` copies every array (one copy), leaving the sender's arrays intact.
 * - `BYTES` elements are packed into one fresh buffer; `SharedArrayBuffer`s are shared as is.
 *
 * @internal
 */
import type { Tensor, TensorData } from '@infer/codecs';

type TypedArray = Exclude<TensorData, Uint8Array[]>;
type TypedArrayConstructor = new (
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
) => TypedArray;

/** Tensors rewritten onto transferable buffers, and the buffers to transfer. */
export interface PackedTensors {
  tensors: Tensor[];
  transferList: ArrayBuffer[];
}

/**
 * Rewrites `tensors` so that every typed array sits on a buffer of its own and lists those
 * buffers for `postMessage`'s transfer list.
 *
 * @example
 * const { tensors, transferList } = packTensors(request.inputs, true);
 * port.postMessage({ inputs: tensors }, transferList); // no copy of owned buffers
 */
export function packTensors(tensors: readonly Tensor[], move: boolean): PackedTensors {
  const packer = new Packer(move);
  return { tensors: tensors.map((tensor) => packer.tensor(tensor)), transferList: packer.list };
}

class Packer {
  readonly list: ArrayBuffer[] = [];
  /** Buffers already moved in this message: sender buffer -> buffer that will be transferred. */
  readonly #moved = new Map<ArrayBuffer, ArrayBuffer>();

  constructor(readonly move: boolean) {}

  tensor(tensor: Tensor): Tensor {
    const data = Array.isArray(tensor.data)
      ? this.#bytes(tensor.data)
      : this.#typed(tensor.data as TypedArray);
    return { ...tensor, data } as Tensor;
  }

  #typed(data: TypedArray): TypedArray {
    const buffer = data.buffer;
    if (!(buffer instanceof ArrayBuffer)) return data; // SharedArrayBuffer: shared, not copied
    // The same owned buffer twice in one message (one array in two tensors): moved once.
    const known = this.#moved.get(buffer);
    if (known !== undefined) {
      return new (data.constructor as TypedArrayConstructor)(
        known,
        0,
        known.byteLength / data.BYTES_PER_ELEMENT,
      );
    }
    if (data.byteLength === 0) return data;
    const owned = data.byteOffset === 0 && data.byteLength === buffer.byteLength;
    if (this.move && owned) {
      const moved = detachable(data);
      if (moved !== undefined) {
        this.#moved.set(buffer, moved.buffer as ArrayBuffer);
        this.list.push(moved.buffer as ArrayBuffer);
        return moved;
      }
    }
    const copy = data.slice() as TypedArray;
    this.list.push(copy.buffer as ArrayBuffer);
    return copy;
  }

  #bytes(elements: Uint8Array[]): Uint8Array[] {
    let total = 0;
    for (const element of elements) total += element.byteLength;
    if (total === 0) return elements.map(() => new Uint8Array(0));
    const packed = new Uint8Array(total);
    const views: Uint8Array[] = [];
    let offset = 0;
    for (const element of elements) {
      packed.set(element, offset);
      views.push(packed.subarray(offset, offset + element.byteLength));
      offset += element.byteLength;
    }
    this.list.push(packed.buffer);
    return views;
  }
}

/**
 * Takes ownership of `data`'s buffer (O(1), detaching the sender's array), or `undefined`
 * when the buffer cannot be detached (WebAssembly memory, some native buffers): those are
 * copied instead of making `postMessage` throw, which would kill the worker.
 */
function detachable(data: TypedArray): TypedArray | undefined {
  try {
    return structuredClone(data, { transfer: [data.buffer as ArrayBuffer] });
  } catch {
    return undefined;
  }
}
