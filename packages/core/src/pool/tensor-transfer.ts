/**
 * Prepares tensors to cross a thread boundary without a structured-clone copy: each typed
 * array ends up on a buffer of its own, listed in the transfer list.
 *
 * - A typed array that owns its whole `ArrayBuffer` (offset 0, same length) is moved: zero
 *   copies, and the sender's array is detached (length 0) afterwards.
 * - A view over a larger buffer (a slice of a request body, Node's pooled `Buffer`s) is
 *   copied into a fresh buffer of its own length first: one copy of its own bytes, where
 *   structured clone would copy the whole underlying buffer (twice: serialise + deserialise).
 * - A view over a buffer already moved in the same message is rebuilt over the moved buffer
 *   at its own offset and length (no copy).
 * - `move: false` copies every array (one copy), leaving the sender's arrays intact.
 * - Copies are arrays of the standard type (a Node `Buffer` becomes a `Uint8Array`): a
 *   subclass's `slice()` may return a view (`Buffer#slice` does), which would list the
 *   caller's whole buffer for transfer.
 * - `BYTES` elements are packed into one fresh buffer; `SharedArrayBuffer`s are shared as is.
 *
 * @internal
 */
import type { Tensor, TensorData } from '@infer/codecs';

type TypedArray = Exclude<TensorData, Uint8Array[]>;
type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray;
};

/** The standard constructor of each typed array, by `Symbol.toStringTag` (subclasses too). */
const STANDARD_TYPES: Readonly<Record<string, TypedArrayConstructor>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as unknown as Record<string, TypedArrayConstructor>;

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
  // Every view's place first: moving a buffer detaches all of its views (they read 0 then).
  const places = tensors.map(placeOf);
  const packer = new Packer(move);
  return {
    tensors: tensors.map((tensor, index) => packer.tensor(tensor, places[index])),
    transferList: packer.list,
  };
}

/** Where a typed array sits in its buffer: `[byteOffset, length]`. */
type Place = readonly [number, number];

/** The place of a tensor's typed array (`undefined` for BYTES); throws when it has none. */
function placeOf({ name, data }: Tensor): Place | undefined {
  if (Array.isArray(data)) return undefined;
  if (!ArrayBuffer.isView(data)) {
    throw new TypeError(`tensor "${name}" has no typed-array data (${typeof data})`);
  }
  return [data.byteOffset, (data as TypedArray).length];
}

class Packer {
  readonly list: ArrayBuffer[] = [];
  /** Buffers already moved in this message: sender buffer -> buffer that will be transferred. */
  readonly #moved = new Map<ArrayBuffer, ArrayBuffer>();

  constructor(readonly move: boolean) {}

  /** Only the fields of a `Tensor`: anything else on the object might not survive a clone. */
  tensor({ name, datatype, shape, data, parameters }: Tensor, place: Place | undefined): Tensor {
    const packed =
      place === undefined
        ? this.#bytes(data as Uint8Array[])
        : this.#typed(data as TypedArray, place);
    const tensor = { name, datatype, shape, data: packed } as Tensor;
    if (parameters !== undefined) tensor.parameters = parameters;
    return tensor;
  }

  #typed(data: TypedArray, [byteOffset, length]: Place): TypedArray {
    const buffer = data.buffer;
    if (!(buffer instanceof ArrayBuffer)) return data; // SharedArrayBuffer: shared, not copied
    // An owned buffer already moved in this message (one array in two tensors, or a view
    // of it in another): moved once, each array rebuilt at its own offset and length.
    const known = this.#moved.get(buffer);
    if (known !== undefined) return new (standardType(data))(known, byteOffset, length);
    // Not `data` itself: a buffer moved later in this message would leave it detached.
    if (data.byteLength === 0) return new (standardType(data))(0);
    const owned = data.byteOffset === 0 && data.byteLength === buffer.byteLength;
    if (this.move && owned) {
      const moved = detachable(data);
      if (moved !== undefined) {
        this.#moved.set(buffer, moved.buffer as ArrayBuffer);
        this.list.push(moved.buffer as ArrayBuffer);
        return moved;
      }
    }
    const copy = new (standardType(data))(data.length);
    copy.set(data as never);
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

/** The standard typed-array type of `data`; a `TypeError` when it is not a typed array. */
function standardType(data: TypedArray): TypedArrayConstructor {
  const type =
    STANDARD_TYPES[(data as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] ?? ''];
  if (type === undefined)
    throw new TypeError(`tensor data must be a typed array, not ${typeof data}`);
  return type;
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
