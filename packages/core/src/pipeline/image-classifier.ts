import {
  checkImageOptions,
  type DecodeImageOptions,
  decodeImage,
  type InferenceRequest,
  type Tensor,
} from '@infer/codecs';
import { InvalidInputError, InvalidOptionError, ModelFailedError } from '../errors';
import { Model } from '../model';
import { SELF_DIR } from '../runtime-loader';
import type {
  ModelMetadataV1,
  ModelV1,
  PredictOptions,
  PredictResult,
  WorkerSourceContextV1,
  WorkerSourceV1,
} from '../spec';
import { softmaxTopK } from './top-k';

/** Options of {@link ImageClassifier}. */
export interface ImageClassifierOptions {
  /** How each encoded image becomes the wrapped model's input (size, layout, normalisation). */
  image: DecodeImageOptions;
  /** Class names, index -> label. Default: none (labels are the class indices as text). */
  labels?: readonly string[] | undefined;
  /** How many classes each answer lists, best first. Default `5`. */
  topK?: number | undefined;
  /** Apply softmax to the scores (for models that output logits). Default `true`. */
  softmax?: boolean | undefined;
  /** Name of the BYTES input carrying encoded images (JPEG, PNG, WebP...). Default `'image'`. */
  imageInput?: string | undefined;
  /** Which input of the wrapped model takes the tensor. Default: its first input. */
  tensorInput?: string | undefined;
  /** Which output of the wrapped model holds the class scores. Default: its first output. */
  scoresOutput?: string | undefined;
}

/**
 * Wraps an image classification model so clients send encoded images (BYTES: raw bytes or
 * base64) and get the top classes back as `label` (BYTES), `probability` (FP32) and
 * `class_index` (INT32), each `[n, topK]`. Decoding and resizing run through the `img`
 * codec (sharp); batching works on the images, dim 0.
 *
 * @example
 * const classifier = new ImageClassifier(new OnnxModel({ name: 'mobilenet', path }), {
 *   image: { width: 224, height: 224, layout: 'CHW', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
 *   labels: IMAGENET_LABELS,
 * });
 */
export class ImageClassifier extends Model {
  readonly inner: ModelV1;
  readonly options: Readonly<ImageClassifierOptions>;
  readonly #topK: number;
  readonly #imageInput: string;

  constructor(inner: ModelV1, options: ImageClassifierOptions) {
    super({
      name: inner.name,
      version: inner.version,
      batchable: inner.batchable !== false,
      serving: inner.serving,
    });
    if (typeof options !== 'object' || options === null || typeof options.image !== 'object') {
      throw new InvalidOptionError('options.image', 'must be an object of image options');
    }
    try {
      checkImageOptions(options.image, 'options.image');
    } catch (error) {
      // `options.image.width must be ...`: the path, then what it must be.
      const message = (error as Error).message;
      const space = message.indexOf(' ');
      throw new InvalidOptionError(message.slice(0, space), message.slice(space + 1));
    }
    const topK = options.topK ?? 5;
    if (!Number.isInteger(topK) || topK < 1) {
      throw new InvalidOptionError('options.topK', 'must be a positive integer');
    }
    if (
      options.labels !== undefined &&
      (!Array.isArray(options.labels) ||
        options.labels.some((label: unknown) => typeof label !== 'string'))
    ) {
      throw new InvalidOptionError('options.labels', 'must be an array of strings');
    }
    this.inner = inner;
    this.options = options;
    this.#topK = topK;
    this.#imageInput = options.imageInput ?? 'image';
  }

  metadata(): ModelMetadataV1 {
    const inner = this.inner.metadata();
    // Top k of the classes the scores output has, when its shape says how many.
    const scores =
      inner.outputs.find((output) => output.name === this.options.scoresOutput) ?? inner.outputs[0];
    const classes = scores?.shape.length === 2 ? scores.shape[1]! : -1;
    const k = classes > 0 ? Math.min(this.#topK, classes) : this.#topK;
    return {
      ...inner,
      inputs: [
        {
          name: this.#imageInput,
          datatype: 'BYTES',
          shape: [-1],
          parameters: { content_type: 'img' },
        },
      ],
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [-1, k] },
        { name: 'probability', datatype: 'FP32', shape: [-1, k] },
        { name: 'class_index', datatype: 'INT32', shape: [-1, k] },
      ],
      parameters: { ...inner.parameters, pipeline: 'image-classifier' },
    };
  }

  /** Rebuilds the same pipeline in a worker thread around the wrapped model's own source. */
  workerSource(context?: WorkerSourceContextV1): WorkerSourceV1 {
    if (!this.inner.workerSource) {
      throw new InvalidOptionError('workers', `model "${this.name}" cannot run in worker threads`);
    }
    const inner = this.inner.workerSource(context);
    return {
      module: '@infer/core',
      export: 'imageClassifierRuntime',
      settings: { inner, options: this.options },
      // This very core, found from its own folder; the wrapped model's source carries its own.
      resolveFrom: SELF_DIR,
    };
  }

  protected override async doLoad(): Promise<void> {
    await this.inner.load();
  }

  protected override async doUnload(): Promise<void> {
    await this.inner.unload();
  }

  protected async doPredict(
    request: InferenceRequest,
    options: PredictOptions,
  ): Promise<PredictResult> {
    const images = request.inputs.find((input) => input.name === this.#imageInput);
    if (images?.datatype !== 'BYTES') {
      throw new InvalidInputError(
        `input "${this.#imageInput}" must be BYTES [n] of encoded images (raw or base64)`,
        { input: this.#imageInput, expected: 'BYTES [-1]' },
      );
    }
    const tensor = await this.#decode(images as Tensor<'BYTES'>);
    const innerMeta = this.inner.metadata();
    const tensorInput = this.options.tensorInput ?? innerMeta.inputs[0]?.name ?? 'input';
    const scoresName = this.options.scoresOutput ?? innerMeta.outputs[0]?.name;
    const result = await this.inner.predict(
      { inputs: [{ ...tensor, name: tensorInput }] },
      options,
    );
    const scores = result.outputs.find((output) => output.name === scoresName) ?? result.outputs[0];
    if (!scores || !(scores.data instanceof Float32Array) || scores.shape.length !== 2) {
      throw new ModelFailedError(`model "${this.name}" did not return FP32 [n, classes] scores`, {
        model: this.name,
        version: this.version,
      });
    }
    return { outputs: this.#top(scores as Tensor<'FP32'>) };
  }

  async #decode(images: Tensor<'BYTES'>): Promise<Tensor<'FP32'> | Tensor<'UINT8'>> {
    const count = images.data.length;
    if (count === 0) {
      throw new InvalidInputError(`input "${this.#imageInput}" holds no image`, {
        input: this.#imageInput,
      });
    }
    const decoded = await Promise.all(
      images.data.map((bytes) => decodeImage(bytes, { dtype: 'float32', ...this.options.image })),
    );
    const first = decoded[0]!;
    const size = first.data.length;
    // Without a fixed width and height each image keeps its own size: one batch needs one.
    for (const [index, image] of decoded.entries()) {
      if (image.data.length !== size || image.shape.some((dim, at) => dim !== first.shape[at])) {
        throw new InvalidInputError(
          `input "${this.#imageInput}": image ${index} decodes to [${image.shape}], image 0 to [${first.shape}]; send images of one size, or set the image width and height`,
          { input: this.#imageInput },
        );
      }
    }
    const shape = [count, ...first.shape];
    if (first.datatype === 'UINT8') {
      const data = new Uint8Array(size * count);
      for (const [index, image] of decoded.entries()) data.set(image.data, index * size);
      return { name: 'image', datatype: 'UINT8', shape, data };
    }
    const data = new Float32Array(size * count);
    for (const [index, image] of decoded.entries()) data.set(image.data, index * size);
    return { name: 'image', datatype: 'FP32', shape, data };
  }

  #top(scores: Tensor<'FP32'>): Tensor[] {
    const [rows = 0, classes = 0] = scores.shape;
    const k = Math.min(this.#topK, classes);
    const label: Uint8Array[] = [];
    const probability = new Float32Array(rows * k);
    const classIndex = new Int32Array(rows * k);
    const encoder = new TextEncoder();
    for (let row = 0; row < rows; row++) {
      const slice = scores.data.subarray(row * classes, (row + 1) * classes);
      const best = softmaxTopK(slice, k, this.options.softmax ?? true);
      best.forEach(({ index, score }, rank) => {
        probability[row * k + rank] = score;
        classIndex[row * k + rank] = index;
        label.push(encoder.encode(this.options.labels?.[index] ?? String(index)));
      });
    }
    return [
      { name: 'label', datatype: 'BYTES', shape: [rows, k], data: label },
      { name: 'probability', datatype: 'FP32', shape: [rows, k], data: probability },
      { name: 'class_index', datatype: 'INT32', shape: [rows, k], data: classIndex },
    ];
  }
}
