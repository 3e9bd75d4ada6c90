import {
  type ContentTypeCodec,
  createImageCodec,
  type Datatype,
  type DatatypeArrayMap,
  type DecodeImageOptions,
  getCodec,
  type InferenceRequest,
  listCodecs,
  type Tensor,
} from '@infer/codecs';
import { InvalidInputError, InvalidOptionError } from './errors';

/**
 * Typed access to one input of a request: the tensor, its parts, and `.as(codec)` to decode
 * it with a content-type codec (`np`, `str`, `base64`, `img`, `json`, or a registered one).
 *
 * @example
 * const image = await request.input('image').as('img', { width: 224, height: 224, layout: 'CHW' });
 * const texts = await request.input('text').as<string[]>('str');
 */
export interface ModelInput<D extends Datatype = Datatype> {
  readonly name: string;
  readonly datatype: D;
  readonly shape: number[];
  readonly data: DatatypeArrayMap[D];
  readonly tensor: Tensor<D>;
  /**
   * Decodes the tensor with a content-type codec: a registered name (`'str'`, `'img'`...)
   * or a codec object. `options` are the image options of `'img'` (width, height, layout,
   * dtype, mean, std, scale).
   */
  as<T = unknown>(codec: string | ContentTypeCodec<T>, options?: DecodeImageOptions): Promise<T>;
  /** The data as `D`'s typed array, after checking the datatype is `D`. */
  typed<E extends Datatype>(datatype: E): DatatypeArrayMap[E];
}

/** A request with `input(name)` for typed access, as `defineModel` hooks receive it. */
export type ModelRequest = InferenceRequest & {
  input(name: string): ModelInput;
};

class Input implements ModelInput {
  constructor(readonly tensor: Tensor) {}
  get name(): string {
    return this.tensor.name;
  }
  get datatype(): Datatype {
    return this.tensor.datatype;
  }
  get shape(): number[] {
    return this.tensor.shape;
  }
  get data(): DatatypeArrayMap[Datatype] {
    return this.tensor.data;
  }
  async as<T = unknown>(
    codec: string | ContentTypeCodec<T>,
    options?: DecodeImageOptions,
  ): Promise<T> {
    return (await codecOf(codec, options).decode(this.tensor)) as T;
  }
  typed<E extends Datatype>(datatype: E): DatatypeArrayMap[E] {
    if (this.tensor.datatype !== datatype) {
      throw new InvalidInputError(
        `input "${this.tensor.name}" must be ${datatype}, got ${this.tensor.datatype}`,
        { input: this.tensor.name, expected: datatype, received: this.tensor.datatype },
      );
    }
    return this.tensor.data as DatatypeArrayMap[E];
  }
}

function codecOf(
  codec: string | ContentTypeCodec<unknown>,
  options: DecodeImageOptions | undefined,
): ContentTypeCodec<unknown> {
  if (typeof codec !== 'string') return codec;
  if (codec === 'img' && options !== undefined) return createImageCodec(options);
  if (options !== undefined) {
    throw new InvalidOptionError('options', `are only accepted by the 'img' codec, not '${codec}'`);
  }
  const found = getCodec(codec);
  if (found === undefined) {
    throw new InvalidOptionError(
      'codec',
      `"${codec}" is not registered (known: ${listCodecs().join(', ')})`,
    );
  }
  return found;
}

/**
 * The input `name` of `request`, with typed helpers; throws `InvalidInputError` (400) when
 * the request has no such input.
 *
 * @example
 * const x = getInput(request, 'x').typed('FP32'); // Float32Array
 */
export function getInput(request: InferenceRequest, name: string): ModelInput {
  const tensor = request.inputs.find((input) => input.name === name);
  if (tensor === undefined) {
    const names = request.inputs.map((input) => `"${input.name}"`).join(', ');
    throw new InvalidInputError(`missing input "${name}" (request has ${names || 'no inputs'})`, {
      input: name,
    });
  }
  return new Input(tensor);
}

/**
 * The request with an `input(name)` method added (a shallow copy; tensors are shared).
 *
 * @example
 * const image = await withInputs(request).input('image').as('img');
 */
export function withInputs(request: InferenceRequest): ModelRequest {
  const input = (name: string) => getInput(request, name);
  // A request's own `input` must not replace ours, and `Object.assign` would make an own
  // `__proto__` key the prototype: those rare requests take the spread.
  if (Object.hasOwn(request, 'input') || Object.hasOwn(request, '__proto__')) {
    return { ...request, input };
  }
  // `input` in the literal, then the copy: the copy has its final shape from the start.
  // With `input` added after copying (`copy.input = ...` after `Object.assign({}, request)`),
  // V8 (Node 20) kept each request's copy, and the tensors it reaches, through two
  // scavenges under load: about 1 MB promoted to the old generation per scavenge, and
  // scavenges several times longer (docs/benchmarks.md, "Requests that die young"). The
  // spread form, `{ ...request, input }`, also takes a slow path of about a microsecond.
  return Object.assign({ input }, request);
}
